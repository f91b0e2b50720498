"""The rule engine: YAML rules, evaluated in a Jinja sandbox over the route model."""
