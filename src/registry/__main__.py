"""`python -m registry ARGS`: the `registry` command line, where its console script is not on the PATH."""

from registry.cli.main import main

if __name__ == "__main__":
    main()
