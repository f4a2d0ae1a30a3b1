"""One subpackage per format: ``efact`` (the VSB billing file and its answers),
``viplive`` (chain-care payment exports), ``blockade`` (blockade lists) and
``sepa`` (payment files)."""
