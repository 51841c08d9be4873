"""Everything validation checks: the rules catalogue and the modules it is assembled from."""
from rare_earth_supply.rules.catalogue import CATALOGUE, RULES, Context, Rule, catalogue_frame

__all__ = ["CATALOGUE", "RULES", "Context", "Rule", "catalogue_frame"]
