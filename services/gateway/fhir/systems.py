"""The code systems, identifier systems and extensions the FHIR mapping reads and writes.

External systems are the ones US payers use (HL7's NPI and ICD-10-CM system URIs, CMS's
HCPCS and place-of-service code sets); the platform's own codes (service codes, reason
codes, claim ids, claim line fields FHIR has no element for) live under
:data:`ATR_BASE`.
"""

from __future__ import annotations

HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
"""HCPCS Level II procedure codes (and their modifiers on ``item.modifier``)."""
NPI = "http://hl7.org/fhir/sid/us-npi"
"""National Provider Identifier, on a Reference's ``identifier``."""
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
"""ICD-10-CM diagnosis codes (``Claim.diagnosis.diagnosisCodeableConcept``)."""
PLACE_OF_SERVICE = (
    "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
)
"""CMS two-digit place-of-service codes (``Claim.item.locationCodeableConcept``)."""
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
"""HL7's adjudication categories: ``submitted``, ``eligible``, ``benefit``."""
PAYMENT_TYPE = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"

ATR_BASE = "https://atr.example/fhir"
SERVICE_CODE = f"{ATR_BASE}/CodeSystem/service-code"
"""The program catalog's own service codes (``GET /v1/program``), on
``item.productOrService``: names the service when its HCPCS code alone does not."""
REASON = f"{ATR_BASE}/CodeSystem/adjudication-reason"
"""The claim engine's reason codes (SPEC §3.4), as ``adjudication.reason``."""
ATR_ADJUDICATION = f"{ATR_BASE}/CodeSystem/adjudication"
"""Adjudication categories HL7's set has no code for: ``denied`` (units and amount the
decision denied, with the reason)."""
PAYMENT_ADJUSTMENT = f"{ATR_BASE}/CodeSystem/payment-adjustment"
"""``holdback``: the part of a funded line withheld until the episode's outcome
(SPEC §3.5)."""
CLAIM_ID = f"{ATR_BASE}/sid/claim-id"
"""The platform's claim id of one line (``GET /v1/claims/{id}``)."""
CLAIM_REF = f"{ATR_BASE}/sid/claim-ref"
"""The provider's own claim reference (``Claim.identifier``)."""
VOUCHER = f"{ATR_BASE}/sid/voucher-id"
"""A voucher id: the prior authorization a claim is billed against."""
LINE_EXTENSION = f"{ATR_BASE}/StructureDefinition/claim-line-"
"""Prefix of the ``Claim.item`` extensions carrying line fields FHIR has no element for:
``claim-line-start-time`` (valueTime), ``claim-line-end-time`` (valueTime),
``claim-line-client-signature`` and ``claim-line-face-to-face`` (valueBoolean),
``claim-line-group-size`` (valuePositiveInt), ``claim-line-miles`` and
``claim-line-pass-price`` (valueDecimal), ``claim-line-pass-type``,
``claim-line-pass-serial`` and ``claim-line-activity`` (valueString or valueCode)."""
CLAIM_ID_EXTENSION = f"{ATR_BASE}/StructureDefinition/claim-id"
"""On a ``ClaimResponse.item``: the claim id of the line it answers (valueString)."""
