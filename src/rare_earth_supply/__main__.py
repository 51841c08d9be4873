"""`python -m rare_earth_supply` runs the command line."""
from .cli import main

main()
