"""The SKY domain: the micro-training catalogue format, stacking rules, micro-credential elements.

Built on the engine (`issuer.core`), never the other way round: the engine knows nothing of SKY's
micro-trainings. Pure like the engine: no web framework, no database, no network.
"""
