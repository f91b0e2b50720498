from wslint.entry import main

main()
