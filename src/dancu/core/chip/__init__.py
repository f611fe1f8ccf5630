"""The chip of the identity card after ICAO Doc 9303 (parts 10-12), as plain Python over asn1crypto and cryptography.

- :mod:`.mrz` the TD1 machine-readable zone and its check digits (part 5);
- :mod:`.lds` the logical data structure: EF.COM and the data groups DG1, DG2, DG13, DG14, DG15 (part 10);
- :mod:`.sod` the Document Security Object (CMS SignedData over an LDSSecurityObject) and the CSCA master list;
- :mod:`.verify` passive and active authentication (part 11), every failure a :class:`.verify.ChipError` with a stable
  code naming the step that failed.

No Django here: the gateway imports it to check chips for connected systems.
"""
