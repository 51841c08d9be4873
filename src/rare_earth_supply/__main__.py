"""`python -m rare_earth_supply` runs the command line."""
from rare_earth_supply.cli import main

main()
