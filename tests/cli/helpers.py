"""Test data of the command's tests: the key passphrase and an unsigned credential."""

from issuer.core import builders

PASSPHRASE = "a test passphrase"


def unsigned_credential(issuer_id: str) -> dict:
    achievement = builders.Achievement(
        id="https://badges.example.org/achievements/tri/fr",
        name="Tri sélectif des déchets",
        description="Trie les déchets d'un chantier — Łódź.",
        criteria=builders.Criteria(narrative="Observé par la formatrice."),
        in_language="fr",
    )
    return builders.OpenBadgeCredential(
        id="https://badges.example.org/credentials/1f0c",
        issuer=builders.Profile(id=issuer_id, name="AGFE"),
        subject=builders.AchievementSubject(
            achievement=achievement,
            identifiers=(
                builders.name_identifier("Łucja Żółkiewska"),
                builders.email_identifier("lucja@example.org", salt="s1"),
            ),
        ),
        valid_from="2020-01-01T00:00:00Z",
    ).to_json()
