"""Words the service signs into credentials, in the six SKY languages.

They are data of the credential, like the achievement names, so they stay out of the gettext
catalogues: a badge keeps the words it was signed with whatever the interface's translations
become. The criteria sentences and the default rubric are in `catalogue.achievements` and
`catalogue.model`, the EU micro-credential labels in `microcredentials`; the services pick a
language with `issuer.languages.in_language` (English for a language not listed).
"""

# The name of an endorsement credential: "{name}" is the endorsed achievement's.
ENDORSEMENT_NAME = {
    "en": "Endorsement of {name}", "fr": "Recommandation de {name}",
    "nl": "Aanbeveling van {name}", "it": "Raccomandazione di {name}",
    "es": "Aval de {name}", "pl": "Rekomendacja: {name}",
}

# The name of the evidence that carries the trainer's comment on a badge.
TRAINER_COMMENT = {
    "en": "Trainer's comment", "fr": "Commentaire du formateur", "nl": "Opmerking van de trainer",
    "it": "Commento del formatore", "es": "Comentario del formador",
    "pl": "Komentarz trenera",
}

# The name of a learner's CLR record: "{name}" is the learner's.
RECORD_NAME = {
    "en": "Learner record of {name}",
    "fr": "Parcours de {name}",
    "nl": "Leerlingdossier van {name}",
    "it": "Percorso di {name}",
    "es": "Expediente de {name}",
    "pl": "Rejestr osiągnięć: {name}",
}
