from datetime import date

from dancu.core.chip import lds, mrz


def test_check_digits_of_icao_examples():
    # ICAO Doc 9303 part 3, 4.9: the worked example of a document number and dates.
    assert mrz.check_digit("L898902C3") == "6"
    assert mrz.check_digit("740812") == "2"
    assert mrz.check_digit("120415") == "9"
    assert mrz.check_digit("D23145890") == "7"


def test_td1_lines_and_check_digits():
    line = mrz.td1(
        pin="001090000123",
        family_name="Đặng",
        given_names="Thị Ánh",
        birth_date=date(1990, 5, 17),
        sex="F",
        expires_on=date(2030, 5, 17),
    )
    assert len(line) == 90
    one, two, three = line[:30], line[30:60], line[60:]
    assert one.startswith("IDVNM090000123" + mrz.check_digit("090000123") + "001090000123")
    assert two[:7] == "900517" + mrz.check_digit("900517")
    assert two[7] == "F"
    assert two[8:15] == "300517" + mrz.check_digit("300517")
    assert two[15:18] == "VNM"
    assert two[29] == mrz.check_digit(one[5:30] + two[0:7] + two[8:15] + two[18:29])
    assert three.startswith("DANG<<THI<ANH<")


def test_card_without_expiry_has_fillers():
    line = mrz.td1(
        pin="001090000123", family_name="A", given_names="B", birth_date=date(1950, 1, 1), sex="M", expires_on=None
    )
    assert line[38:45] == "<<<<<<0"


def test_dg13_round_trip_and_tags():
    fields = {"pin": "001090000123", "full_name": "Nguyễn Văn An", "spouse": "", "issued_on": "01/06/2021"}
    data = lds.dg13(fields)
    assert data[0] == 0x6D
    assert lds.read_dg13(data) == {"pin": "001090000123", "full_name": "Nguyễn Văn An", "issued_on": "01/06/2021"}
    assert lds.dg_number(data) == 13


def test_tlv_long_lengths_round_trip():
    value = bytes(300)
    tag, read, end = lds.read_tlv(lds.tlv(0x5F2E, value))
    assert (tag, read, end) == (0x5F2E, value, 2 + 3 + 300)


def test_ef_com_lists_the_groups():
    com = lds.ef_com([1, 2, 13, 14, 15])
    tag, value, _ = lds.read_tlv(com)
    assert tag == 0x60
    assert value.endswith(bytes([0x5C, 5, 0x61, 0x75, 0x6D, 0x6E, 0x6F]))


def test_dg13_written_directly_is_the_asn1_encoding():
    fields = {"pin": "001090000123", "full_name": "Nguyễn Văn An " * 12, "religion": "Không", "sex": "Nam"}
    entries = [lds.DG13Entry({"field": lds.DG13_NUMBERS[k], "value": v}) for k, v in fields.items()]
    entries.sort(key=lambda e: e["field"].native)
    assert lds.dg13(fields) == lds.tlv(0x6D, lds.DG13Content(entries).dump())
