"""FHIR R4 at the gateway (SPEC §4 ``/v1/fhir``): a FHIR ``Claim`` in, mapped onto the
same claim lines ``POST /v1/claims`` accepts; ``ClaimResponse`` and
``ExplanationOfBenefit`` out, built from the claims service's decisions and payments'
funding. Every resource in or out is validated with ``fhir.resources`` (its R4B models:
the 8.x releases ship R5 as the default, R4B and STU3; R4B keeps R4's Claim,
ClaimResponse and ExplanationOfBenefit elements)."""
