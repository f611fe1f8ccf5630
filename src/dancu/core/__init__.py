"""Plain-Python rules of the domain: no Django imports here (the gateway imports this package too)."""
