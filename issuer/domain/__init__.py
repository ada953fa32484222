"""The SKY domain: the micro-training catalogue format, stacking rules, micro-credential elements
and the words signed into credentials.

Built on the engine (`issuer.core`), never the other way round: the engine knows nothing of SKY's
micro-trainings. Pure like the engine: no web framework, no database, no network.
"""
