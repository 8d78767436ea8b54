"""Pure FlexAPI protocol layer: no Home Assistant imports anywhere below here.

Topics, the parameter catalog (Appendix A), request builders, response and
event parsing, limits, the canonical store, and Bimetri envelopes.
"""
