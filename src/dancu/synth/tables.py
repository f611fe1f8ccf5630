"""Static tables for the deterministic synthetic-population generator.

Pure data, standard library only.  Every string is Vietnamese in Unicode NFC, spelt with the traditional tone-mark
placement used on most civil records (Hòa, Thúy, Thùy, Khánh Hòa, Thanh Hóa).

Conventions
-----------
* ``(value, weight)`` tuples: weights are positive *relative* weights (roughly percentages); the generator
  normalises them.  Tables documented as *shares* (ethnicity, religion) sum to 1.0.
* Figures are approximations for realism, not official statistics: each table says where its numbers come from
  (DOMAIN.md = /work/shared/DOMAIN.md) and what was estimated.
* Regions are naming-convention regions: "north" = old codes 001-037 (midlands, mountains and Red River Delta),
  "central" = 038-068 (Thanh Hóa to Bình Thuận plus the Central Highlands), "south" = 070-096 (Southeast and the
  Mekong Delta).  The Central Highlands are partly settled from the north; that mix is ignored.

Tables beyond the brief (optional for the generator): ``ETHNIC_GROUPS`` (code -> name as written on the record),
``ETHNIC_GIVEN_NAMES``, ``NO_MIDDLE_SHARE``, ``FAMILY_NAME_LAST_ETHNIC_CODES`` and ``ATTACHED_PREFIXES`` (minority
name order), described where they are defined.
"""

REGIONS: tuple[str, ...] = ("north", "central", "south")

# The 63 provinces before the 1 July 2025 merger, keyed by the 3-digit code of the personal ID number.
# Source: DOMAIN.md §2 (Circular 07/2016/TT-BCA codes; old -> 2025 mapping, which agrees with the
# `vietnam-provinces` package's OLD_TO_NEW table).  Names are the short forms used before 2025 ("Thừa Thiên Huế"
# for 046, which became "Thành phố Huế" on 1 January 2025; Tiền Giang 082 is mapped whole to 82 although a few of
# its wards went to 80).  Region: see the module docstring.
# fmt: off
OLD_PROVINCES: dict[str, tuple[str, str, str]] = {
    "001": ("Hà Nội", "01", "north"),
    "002": ("Hà Giang", "08", "north"),
    "004": ("Cao Bằng", "04", "north"),
    "006": ("Bắc Kạn", "19", "north"),
    "008": ("Tuyên Quang", "08", "north"),
    "010": ("Lào Cai", "15", "north"),
    "011": ("Điện Biên", "11", "north"),
    "012": ("Lai Châu", "12", "north"),
    "014": ("Sơn La", "14", "north"),
    "015": ("Yên Bái", "15", "north"),
    "017": ("Hòa Bình", "25", "north"),
    "019": ("Thái Nguyên", "19", "north"),
    "020": ("Lạng Sơn", "20", "north"),
    "022": ("Quảng Ninh", "22", "north"),
    "024": ("Bắc Giang", "24", "north"),
    "025": ("Phú Thọ", "25", "north"),
    "026": ("Vĩnh Phúc", "25", "north"),
    "027": ("Bắc Ninh", "24", "north"),
    "030": ("Hải Dương", "31", "north"),
    "031": ("Hải Phòng", "31", "north"),
    "033": ("Hưng Yên", "33", "north"),
    "034": ("Thái Bình", "33", "north"),
    "035": ("Hà Nam", "37", "north"),
    "036": ("Nam Định", "37", "north"),
    "037": ("Ninh Bình", "37", "north"),
    "038": ("Thanh Hóa", "38", "central"),
    "040": ("Nghệ An", "40", "central"),
    "042": ("Hà Tĩnh", "42", "central"),
    "044": ("Quảng Bình", "44", "central"),
    "045": ("Quảng Trị", "44", "central"),
    "046": ("Thừa Thiên Huế", "46", "central"),
    "048": ("Đà Nẵng", "48", "central"),
    "049": ("Quảng Nam", "48", "central"),
    "051": ("Quảng Ngãi", "51", "central"),
    "052": ("Bình Định", "52", "central"),
    "054": ("Phú Yên", "66", "central"),
    "056": ("Khánh Hòa", "56", "central"),
    "058": ("Ninh Thuận", "56", "central"),
    "060": ("Bình Thuận", "68", "central"),
    "062": ("Kon Tum", "51", "central"),
    "064": ("Gia Lai", "52", "central"),
    "066": ("Đắk Lắk", "66", "central"),
    "067": ("Đắk Nông", "68", "central"),
    "068": ("Lâm Đồng", "68", "central"),
    "070": ("Bình Phước", "75", "south"),
    "072": ("Tây Ninh", "80", "south"),
    "074": ("Bình Dương", "79", "south"),
    "075": ("Đồng Nai", "75", "south"),
    "077": ("Bà Rịa - Vũng Tàu", "79", "south"),
    "079": ("TP. Hồ Chí Minh", "79", "south"),
    "080": ("Long An", "80", "south"),
    "082": ("Tiền Giang", "82", "south"),
    "083": ("Bến Tre", "86", "south"),
    "084": ("Trà Vinh", "86", "south"),
    "086": ("Vĩnh Long", "86", "south"),
    "087": ("Đồng Tháp", "82", "south"),
    "089": ("An Giang", "91", "south"),
    "091": ("Kiên Giang", "91", "south"),
    "092": ("Cần Thơ", "92", "south"),
    "093": ("Hậu Giang", "92", "south"),
    "094": ("Sóc Trăng", "92", "south"),
    "095": ("Bạc Liêu", "96", "south"),
    "096": ("Cà Mau", "96", "south"),
}
# fmt: on

# Population by old province.  Source: statistics office (GSO) Statistical Yearbook 2023, average population 2023,
# rounded to hundreds, quoted from memory: every figure is an approximation within a few percent.  Sum ~100.1 million,
# against 101,112,656 counted by the 1 April 2024 mid-term census (DOMAIN.md §9); scale if an exact total matters.
# fmt: off
OLD_PROVINCE_POPULATION: dict[str, int] = {
    "001": 8_587_100, "002": 899_900, "004": 547_900,           # Hà Nội, Hà Giang, Cao Bằng
    "006": 327_900, "008": 805_800, "010": 770_600,             # Bắc Kạn, Tuyên Quang, Lào Cai
    "011": 643_400, "012": 482_100, "014": 1_300_100,           # Điện Biên, Lai Châu, Sơn La
    "015": 847_200, "017": 877_400, "019": 1_341_400,           # Yên Bái, Hòa Bình, Thái Nguyên
    "020": 802_100, "022": 1_381_200, "024": 1_922_700,         # Lạng Sơn, Quảng Ninh, Bắc Giang
    "025": 1_516_300, "026": 1_211_300, "027": 1_517_400,       # Phú Thọ, Vĩnh Phúc, Bắc Ninh
    "030": 1_956_100, "031": 2_105_400, "033": 1_302_600,       # Hải Dương, Hải Phòng, Hưng Yên
    "034": 1_878_500, "035": 878_100, "036": 1_887_100,         # Thái Bình, Hà Nam, Nam Định
    "037": 1_010_700, "038": 3_760_700, "040": 3_442_000,       # Ninh Bình, Thanh Hóa, Nghệ An
    "042": 1_323_700, "044": 913_900, "045": 650_900,           # Hà Tĩnh, Quảng Bình, Quảng Trị
    "046": 1_166_500, "048": 1_245_200, "049": 1_526_300,       # Thừa Thiên Huế, Đà Nẵng, Quảng Nam
    "051": 1_248_700, "052": 1_504_300, "054": 877_600,         # Quảng Ngãi, Bình Định, Phú Yên
    "056": 1_253_000, "058": 596_000, "060": 1_252_000,         # Khánh Hòa, Ninh Thuận, Bình Thuận
    "062": 579_800, "064": 1_608_300, "066": 1_918_400,         # Kon Tum, Gia Lai, Đắk Lắk
    "067": 679_400, "068": 1_340_400, "070": 1_049_600,         # Đắk Nông, Lâm Đồng, Bình Phước
    "072": 1_194_100, "074": 2_763_100, "075": 3_310_900,       # Tây Ninh, Bình Dương, Đồng Nai
    "077": 1_187_500, "079": 9_456_700, "080": 1_734_300,       # Bà Rịa - Vũng Tàu, TP. Hồ Chí Minh, Long An
    "082": 1_790_000, "083": 1_300_400, "084": 1_019_300,       # Tiền Giang, Bến Tre, Trà Vinh
    "086": 1_028_800, "087": 1_600_200, "089": 1_906_300,       # Vĩnh Long, Đồng Tháp, An Giang
    "091": 1_755_300, "092": 1_258_900, "093": 729_800,         # Kiên Giang, Cần Thơ, Hậu Giang
    "094": 1_198_800, "095": 923_700, "096": 1_207_600,         # Sóc Trăng, Bạc Liêu, Cà Mau
}
# fmt: on

# Share of the population living in urban areas (phường / thị trấn), by old province.  Source: GSO 2022-2023
# provincial figures as remembered, several rounded or nudged for later reclassifications: approximations.
# Population-weighted national value ~0.374, against 38.2% in the 2024 mid-term census (DOMAIN.md §9).
# fmt: off
URBAN_SHARE_BY_OLD_PROVINCE: dict[str, float] = {
    "001": 0.495, "002": 0.166, "004": 0.249, "006": 0.233, "008": 0.145, "010": 0.245,
    "011": 0.182, "012": 0.180, "014": 0.151, "015": 0.214, "017": 0.215, "019": 0.380,
    "020": 0.218, "022": 0.683, "024": 0.250, "025": 0.194, "026": 0.310, "027": 0.380,
    "030": 0.350, "031": 0.462, "033": 0.176, "034": 0.119, "035": 0.240, "036": 0.198,
    "037": 0.230, "038": 0.215, "040": 0.161, "042": 0.234, "044": 0.217, "045": 0.320,
    "046": 0.533, "048": 0.873, "049": 0.265, "051": 0.179, "052": 0.324, "054": 0.306,
    "056": 0.497, "058": 0.368, "060": 0.395, "062": 0.362, "064": 0.304, "066": 0.250,
    "067": 0.158, "068": 0.389, "070": 0.243, "072": 0.311, "074": 0.846, "075": 0.444,
    "077": 0.522, "079": 0.780, "080": 0.230, "082": 0.190, "083": 0.109, "084": 0.184,
    "086": 0.181, "087": 0.210, "089": 0.318, "091": 0.297, "092": 0.704, "093": 0.275,
    "094": 0.325, "095": 0.282, "096": 0.231,
}
# fmt: on

# Birth cohorts used by the name tables (inclusive year ranges, contiguous from 1900 to 2100).
COHORTS: tuple[tuple[int, int, str], ...] = (
    (1900, 1959, "pre1960"),
    (1960, 1979, "1960_1979"),
    (1980, 1999, "1980_1999"),
    (2000, 2100, "2000_plus"),
)

# Kinh family names by naming region.  National shares from DOMAIN.md §9 (Nguyễn 38.4%, Trần 12.1, Lê 9.5, Phạm 7.0,
# Hoàng/Huỳnh 5.1, Phan 4.5, Vũ/Võ 3.9, Đặng 2.1, Bùi 2.0, Đỗ 1.4, Hồ 1.3, Ngô 1.3, Dương 1.0, Lý 0.5).  The split
# between regions and the long tail are estimates: Hoàng and Vũ are northern (their southern forms Huỳnh and Võ come
# from the old naming taboo), Lê, Phan, Võ and Hồ are strong in the central provinces (Hồ in Nghệ An, Huỳnh from
# Quảng Nam southwards), and the south has more names of Hoa origin (Lâm, Trương, Châu, Quách, Diệp, Tăng...).
# Weighted by region population the table gives back the national shares within about one point.
# fmt: off
FAMILY_NAMES: dict[str, tuple[tuple[str, float], ...]] = {
    "north": (
        ("Nguyễn", 36.0), ("Trần", 11.0), ("Lê", 7.5), ("Phạm", 8.3), ("Hoàng", 5.0), ("Vũ", 4.2), ("Phan", 2.2),
        ("Đặng", 2.8), ("Bùi", 3.0), ("Đỗ", 2.4), ("Ngô", 1.6), ("Dương", 1.2), ("Đinh", 1.2), ("Đào", 1.1),
        ("Trịnh", 0.9), ("Hà", 0.8), ("Đoàn", 0.7), ("Lương", 0.6), ("Cao", 0.6), ("Mai", 0.6), ("Phùng", 0.5),
        ("Tạ", 0.5), ("Lưu", 0.5), ("Trương", 0.5), ("Hồ", 0.4), ("Chu", 0.4), ("Tô", 0.4), ("Lý", 0.3),
        ("Kiều", 0.3), ("Lại", 0.3), ("Thân", 0.3), ("Nghiêm", 0.2), ("Vương", 0.2), ("Triệu", 0.2), ("Đàm", 0.2),
        ("Lâm", 0.2), ("Võ", 0.2), ("Huỳnh", 0.05), ("Doãn", 0.1), ("Khúc", 0.1), ("Quách", 0.1), ("Mạc", 0.1),
        ("Giáp", 0.1), ("Ninh", 0.1), ("Tống", 0.1), ("Khổng", 0.05),
    ),
    "central": (
        ("Nguyễn", 36.0), ("Trần", 12.0), ("Lê", 12.0), ("Phạm", 5.0), ("Hoàng", 2.5), ("Huỳnh", 2.5),
        ("Phan", 6.5), ("Võ", 3.6), ("Vũ", 0.6), ("Đặng", 2.0), ("Bùi", 1.4), ("Đỗ", 1.0), ("Hồ", 3.2),
        ("Ngô", 1.2), ("Dương", 1.0), ("Trương", 1.2), ("Đinh", 1.0), ("Đoàn", 0.8), ("Cao", 0.7), ("Mai", 0.6),
        ("Lương", 0.6), ("Hà", 0.5), ("Thái", 0.5), ("Trịnh", 0.4), ("Đào", 0.4), ("Lý", 0.3), ("Châu", 0.3),
        ("Lưu", 0.2), ("Tạ", 0.2), ("Tô", 0.2), ("Lâm", 0.2), ("Tôn", 0.2), ("Chu", 0.1), ("Kiều", 0.1),
        ("Phùng", 0.1), ("Lại", 0.1), ("Văn", 0.05),
    ),
    "south": (
        ("Nguyễn", 39.0), ("Trần", 12.3), ("Lê", 8.3), ("Phạm", 6.2), ("Huỳnh", 5.5), ("Hoàng", 0.6),
        ("Võ", 3.4), ("Vũ", 0.6), ("Phan", 4.7), ("Đặng", 1.4), ("Bùi", 1.2), ("Đỗ", 1.0), ("Hồ", 1.4),
        ("Ngô", 1.2), ("Dương", 1.1), ("Lý", 0.9), ("Trương", 1.5), ("Lâm", 1.2), ("Mai", 0.8), ("Châu", 0.6),
        ("Đoàn", 0.6), ("Cao", 0.6), ("Đinh", 0.5), ("Lưu", 0.4), ("Tô", 0.4), ("Lương", 0.4), ("Trịnh", 0.4),
        ("Đào", 0.4), ("Quách", 0.3), ("Thái", 0.3), ("Hà", 0.3), ("Tạ", 0.3), ("Diệp", 0.2), ("Tăng", 0.2),
        ("La", 0.2), ("Hứa", 0.2), ("Từ", 0.2), ("Lữ", 0.2), ("Triệu", 0.2), ("Kiều", 0.1), ("Âu", 0.1),
        ("Ông", 0.1),
    ),
}
# fmt: on

# First middle word by sex and cohort.  Source: DOMAIN.md §9 (Thị and Ngọc lead for women, Thị falling in young
# cohorts; Văn dominates older men and is under 3% for young men); the other words and all weights are estimates.
# fmt: off
MIDDLE_NAMES: dict[tuple[str, str], tuple[tuple[str, float], ...]] = {
    ("M", "pre1960"): (
        ("Văn", 62.0), ("Đức", 6.0), ("Hữu", 6.0), ("Đình", 4.0), ("Xuân", 3.0), ("Công", 3.0), ("Quang", 3.0),
        ("Ngọc", 2.0), ("Minh", 2.0), ("Thanh", 2.0), ("Trọng", 1.5), ("Bá", 1.0), ("Duy", 1.0), ("Viết", 1.0),
        ("Tấn", 1.0), ("Thành", 1.0), ("Quốc", 1.0), ("Khắc", 0.5), ("Kim", 0.5), ("Thế", 0.5),
    ),
    ("M", "1960_1979"): (
        ("Văn", 45.0), ("Đức", 7.0), ("Hữu", 6.0), ("Minh", 5.0), ("Quang", 4.0), ("Thanh", 4.0), ("Đình", 3.5),
        ("Công", 3.5), ("Xuân", 3.0), ("Ngọc", 2.5), ("Quốc", 2.5), ("Trọng", 2.0), ("Mạnh", 1.5), ("Duy", 1.5),
        ("Tấn", 1.5), ("Thành", 1.5), ("Anh", 1.0), ("Tuấn", 1.0), ("Hoàng", 1.0), ("Hồng", 1.0), ("Trung", 1.0),
        ("Thế", 1.0), ("Bá", 0.5), ("Viết", 0.5),
    ),
    ("M", "1980_1999"): (
        ("Văn", 22.0), ("Minh", 10.0), ("Đức", 8.0), ("Quang", 6.0), ("Thanh", 5.0), ("Anh", 5.0), ("Hữu", 5.0),
        ("Quốc", 5.0), ("Hoàng", 4.0), ("Tuấn", 3.0), ("Công", 3.0), ("Duy", 3.0), ("Xuân", 2.5), ("Đình", 2.5),
        ("Ngọc", 2.5), ("Mạnh", 2.0), ("Trọng", 2.0), ("Việt", 2.0), ("Thành", 2.0), ("Tấn", 1.5), ("Hải", 1.5),
        ("Trung", 1.0), ("Khánh", 1.0), ("Nhật", 1.0), ("Bảo", 1.0), ("Gia", 1.0), ("Chí", 1.0), ("Thế", 1.0),
    ),
    ("M", "2000_plus"): (
        ("Minh", 16.0), ("Gia", 10.0), ("Đức", 8.0), ("Bảo", 7.0), ("Anh", 6.0), ("Hoàng", 6.0), ("Quang", 6.0),
        ("Quốc", 5.0), ("Nhật", 4.0), ("Tuấn", 3.0), ("Thành", 3.0), ("Duy", 3.0), ("Khánh", 3.0), ("Văn", 2.5),
        ("Hữu", 2.5), ("Đăng", 2.5), ("Trung", 2.0), ("Hải", 2.0), ("Thanh", 2.0), ("Việt", 2.0), ("Phúc", 1.5),
        ("Thiên", 1.5), ("An", 1.0), ("Tiến", 1.0), ("Trọng", 1.0), ("Công", 1.0), ("Ngọc", 1.0), ("Đình", 1.0),
        ("Xuân", 1.0), ("Tấn", 1.0),
    ),
    ("F", "pre1960"): (
        ("Thị", 85.0), ("Ngọc", 3.0), ("Kim", 3.0), ("Thanh", 2.0), ("Hồng", 1.5), ("Minh", 1.0), ("Bích", 1.0),
        ("Xuân", 1.0), ("Thu", 0.8), ("Mỹ", 0.5), ("Phương", 0.5), ("Tuyết", 0.3), ("Lệ", 0.3),
    ),
    ("F", "1960_1979"): (
        ("Thị", 70.0), ("Ngọc", 6.0), ("Kim", 5.0), ("Thanh", 4.0), ("Hồng", 2.5), ("Thu", 2.0), ("Minh", 1.5),
        ("Bích", 1.5), ("Mỹ", 1.0), ("Phương", 1.0), ("Xuân", 1.0), ("Thúy", 1.0), ("Diệu", 0.5), ("Quỳnh", 0.5),
        ("Hoàng", 0.5), ("Lệ", 0.5), ("Tuyết", 0.5),
    ),
    ("F", "1980_1999"): (
        ("Thị", 50.0), ("Ngọc", 10.0), ("Thanh", 5.0), ("Thu", 4.0), ("Kim", 4.0), ("Phương", 3.0), ("Hồng", 3.0),
        ("Minh", 2.5), ("Thùy", 2.5), ("Mỹ", 2.0), ("Hoài", 1.5), ("Bích", 1.5), ("Quỳnh", 1.5), ("Thúy", 1.5),
        ("Hải", 1.0), ("Diệu", 1.0), ("Khánh", 1.0), ("Bảo", 1.0), ("Tường", 1.0), ("Huyền", 1.0), ("Lan", 0.5),
        ("Hà", 0.5),
    ),
    ("F", "2000_plus"): (
        ("Thị", 20.0), ("Ngọc", 15.0), ("Bảo", 8.0), ("Khánh", 6.0), ("Minh", 6.0), ("Phương", 5.0), ("Gia", 4.0),
        ("Thảo", 3.0), ("Thu", 3.0), ("Thùy", 3.0), ("Mai", 3.0), ("Quỳnh", 3.0), ("Thanh", 3.0), ("Mỹ", 3.0),
        ("Hà", 2.0), ("Yến", 2.0), ("Tường", 2.0), ("Hoài", 2.0), ("Diệu", 2.0), ("Kim", 2.0), ("Hải", 2.0),
        ("Tú", 1.0), ("Cát", 1.0), ("An", 1.0), ("Hồng", 1.0),
    ),
}
# fmt: on

# Given names by sex and cohort.  Source: DOMAIN.md §9: women born 2007-2011 (HCMC sample) Anh 7.1%, Vy 5.7, Ngọc 4.3,
# Nhi 4.2, Hân 4.1, Thư 4.1, Linh 3.5, Như 3.1, Ngân 3.0 (used as given); the rank orders for men and women born
# 1991-2002 (Tuấn, Hoàng, Huy... / Trang, Thảo, Linh...) are turned into decreasing weights.  Everything else, the
# older cohorts and the long tails, are estimates from common usage.  The southern ordinal names (Ba, Tư, Năm, Sáu...)
# appear with small weights in the oldest cohort only.
# fmt: off
GIVEN_NAMES: dict[tuple[str, str], tuple[tuple[str, float], ...]] = {
    ("M", "pre1960"): (
        ("Hùng", 3.5), ("Minh", 3.2), ("Dũng", 3.0), ("Bình", 3.0), ("Sơn", 2.8), ("Hòa", 2.8), ("Thành", 2.8),
        ("Thắng", 2.5), ("Hải", 2.5), ("Thanh", 2.5), ("Long", 2.2), ("Đức", 2.2), ("Quang", 2.0), ("Hưng", 2.0),
        ("Trung", 2.0), ("Tùng", 1.8), ("Tuấn", 1.8), ("Nghĩa", 1.8), ("Tâm", 1.8), ("Vinh", 1.6), ("Lâm", 1.5),
        ("Chiến", 1.5), ("Phúc", 1.5), ("Lộc", 1.5), ("Thọ", 1.5), ("Tài", 1.5), ("Lợi", 1.5), ("Cường", 1.5),
        ("Thuận", 1.5), ("Tiến", 1.5), ("Toàn", 1.3), ("Hiếu", 1.2), ("Khánh", 1.2), ("Mạnh", 1.2), ("Quý", 1.2),
        ("Phương", 1.2), ("Hiển", 1.0), ("Kiên", 1.0), ("Thịnh", 1.0), ("Đông", 1.0), ("Chính", 1.0), ("Nhân", 1.0),
        ("Hiệp", 1.0), ("Phong", 1.0), ("An", 1.0), ("Hoan", 0.8), ("Tín", 0.8), ("Sang", 0.8), ("Hậu", 0.8),
        ("Thông", 0.8), ("Định", 0.8), ("Thái", 0.8), ("Tư", 0.8), ("Năm", 0.8), ("Hợp", 0.7), ("Sáu", 0.6),
        ("Ba", 0.6), ("Huấn", 0.6), ("Lập", 0.6), ("Bảy", 0.5), ("Khải", 0.5), ("Đạo", 0.5), ("Tám", 0.4),
        ("Út", 0.4),
    ),
    ("M", "1960_1979"): (
        ("Dũng", 3.5), ("Hùng", 3.5), ("Tuấn", 3.2), ("Hải", 3.0), ("Sơn", 3.0), ("Minh", 3.0), ("Thắng", 2.5),
        ("Cường", 2.5), ("Thành", 2.5), ("Long", 2.2), ("Trung", 2.2), ("Hưng", 2.0), ("Bình", 2.0), ("Quang", 2.0),
        ("Đức", 2.0), ("Hòa", 1.8), ("Tùng", 1.8), ("Thanh", 1.8), ("Phong", 1.5), ("Chiến", 1.5), ("Việt", 1.5),
        ("Nam", 1.5), ("Tâm", 1.5), ("Vinh", 1.5), ("Toàn", 1.5), ("Tiến", 1.5), ("Nghĩa", 1.5), ("Hiếu", 1.2),
        ("Lâm", 1.2), ("Khánh", 1.2), ("Huy", 1.2), ("Phúc", 1.2), ("Lợi", 1.2), ("Hoàng", 1.2), ("Kiên", 1.2),
        ("Thuận", 1.2), ("Tài", 1.2), ("Quý", 1.0), ("Thịnh", 1.0), ("Trí", 1.0), ("Tân", 1.0), ("Dương", 0.8),
        ("Đạt", 0.8), ("Phương", 0.8), ("Hậu", 0.8), ("Định", 0.8), ("Tú", 0.8), ("An", 0.8), ("Hiệp", 0.8),
        ("Nhân", 0.8), ("Thái", 0.8), ("Chính", 0.7), ("Bảo", 0.6), ("Lực", 0.6), ("Vũ", 0.6),
    ),
    ("M", "1980_1999"): (
        ("Tuấn", 4.5), ("Hoàng", 3.8), ("Huy", 3.6), ("Anh", 3.5), ("Hiếu", 3.2), ("Hùng", 3.0), ("Nam", 3.0),
        ("Sơn", 2.8), ("Đức", 2.8), ("Dũng", 2.7), ("Long", 2.5), ("Minh", 2.5), ("Thắng", 2.2), ("Hải", 2.2),
        ("Trung", 2.0), ("Cường", 2.0), ("Quân", 2.0), ("Đạt", 2.0), ("Thành", 2.0), ("Tùng", 2.0), ("Việt", 1.8),
        ("Phong", 1.6), ("Duy", 1.6), ("Toàn", 1.5), ("Quang", 1.5), ("Hưng", 1.5), ("Khoa", 1.4), ("Tiến", 1.4),
        ("Tài", 1.3), ("Khánh", 1.3), ("Linh", 1.2), ("Bảo", 1.2), ("Phúc", 1.2), ("Vũ", 1.2), ("Thịnh", 1.2),
        ("Kiên", 1.2), ("Trí", 1.1), ("Lâm", 1.0), ("Tâm", 1.0), ("Tú", 1.0), ("Vinh", 1.0), ("Thiện", 0.8),
        ("Lợi", 0.8), ("Công", 0.8), ("Hậu", 0.8), ("Thái", 0.8), ("Tín", 0.8), ("Nhân", 0.8), ("Nhật", 0.7),
        ("Tân", 0.7), ("Hào", 0.6), ("Phát", 0.6), ("Khải", 0.5), ("Luân", 0.5),
    ),
    ("M", "2000_plus"): (
        ("Minh", 3.8), ("Huy", 3.6), ("Anh", 3.4), ("Bảo", 3.2), ("Khang", 3.0), ("Phúc", 2.8), ("Khoa", 2.4),
        ("Đạt", 2.4), ("Khôi", 2.4), ("Nam", 2.4), ("Quân", 2.4), ("Long", 2.2), ("Phát", 2.0), ("Duy", 2.0),
        ("Tuấn", 2.0), ("Hưng", 1.8), ("Hoàng", 1.8), ("Hiếu", 1.8), ("An", 1.8), ("Kiệt", 1.6), ("Thịnh", 1.6),
        ("Đức", 1.6), ("Nhân", 1.4), ("Trí", 1.4), ("Tài", 1.4), ("Phong", 1.4), ("Nguyên", 1.4), ("Sơn", 1.4),
        ("Thành", 1.4), ("Lâm", 1.4), ("Khánh", 1.4), ("Trung", 1.2), ("Việt", 1.2), ("Vinh", 1.0), ("Hải", 1.0),
        ("Tín", 1.0), ("Lộc", 1.0), ("Tùng", 1.0), ("Quang", 1.0), ("Kiên", 1.0), ("Thiện", 1.0), ("Vũ", 1.0),
        ("Hùng", 0.9), ("Dũng", 0.9), ("Toàn", 0.8), ("Tiến", 0.8), ("Hào", 0.8), ("Thái", 0.7), ("Khải", 0.7),
        ("Đăng", 0.7), ("Nghĩa", 0.7), ("Thắng", 0.7), ("Bách", 0.6), ("Tú", 0.6), ("Dương", 0.6), ("Hiển", 0.6),
        ("Tâm", 0.6), ("Luân", 0.5),
    ),
    ("F", "pre1960"): (
        ("Lan", 3.2), ("Hoa", 3.0), ("Hương", 3.0), ("Mai", 2.8), ("Hà", 2.2), ("Thủy", 2.0), ("Nga", 2.0),
        ("Hạnh", 2.0), ("Liên", 2.0), ("Hồng", 2.0), ("Thu", 2.0), ("Hằng", 1.8), ("Tuyết", 1.8), ("Cúc", 1.8),
        ("Vân", 1.8), ("Xuân", 1.8), ("Loan", 1.6), ("Dung", 1.6), ("Hiền", 1.6), ("Phượng", 1.5), ("Đào", 1.5),
        ("Yến", 1.5), ("Nhung", 1.4), ("Tâm", 1.4), ("Hòa", 1.4), ("Bình", 1.2), ("Huệ", 1.2), ("Sen", 1.2),
        ("Nguyệt", 1.2), ("Thanh", 1.2), ("Lý", 1.0), ("Lệ", 1.0), ("Thoa", 1.0), ("Nhàn", 1.0), ("Thơm", 1.0),
        ("Hường", 1.0), ("Ngọc", 1.0), ("Lụa", 0.8), ("Lài", 0.8), ("Thảo", 0.8), ("Minh", 0.8), ("Châu", 0.8),
        ("Oanh", 0.8), ("Kim", 0.8), ("Ánh", 0.8), ("Thắm", 0.8), ("Mận", 0.6), ("Quý", 0.6), ("Út", 0.6),
        ("Gái", 0.5), ("Tư", 0.5), ("Ba", 0.5), ("Sáu", 0.4), ("Bảy", 0.4), ("Tám", 0.4),
    ),
    ("F", "1960_1979"): (
        ("Hương", 3.2), ("Lan", 2.6), ("Hà", 2.6), ("Hằng", 2.6), ("Thủy", 2.6), ("Nga", 2.2), ("Hoa", 2.2),
        ("Mai", 2.2), ("Hạnh", 2.0), ("Dung", 2.0), ("Hiền", 2.0), ("Hồng", 2.0), ("Vân", 1.8), ("Yến", 1.8),
        ("Phương", 1.8), ("Thảo", 1.6), ("Liên", 1.6), ("Thu", 1.6), ("Loan", 1.6), ("Nhung", 1.6), ("Tuyết", 1.4),
        ("Oanh", 1.4), ("Thanh", 1.4), ("Huyền", 1.4), ("Thúy", 1.4), ("Trang", 1.2), ("Huệ", 1.2), ("Phượng", 1.2),
        ("Nguyệt", 1.2), ("Ngọc", 1.2), ("Tâm", 1.2), ("Xuân", 1.2), ("Lệ", 1.0), ("Lý", 1.0), ("Hòa", 1.0),
        ("Hải", 0.8), ("Kim", 0.8), ("Châu", 0.8), ("Liễu", 0.8), ("Quyên", 0.8), ("Bình", 0.8), ("Minh", 0.8),
        ("Sương", 0.8), ("Thắm", 0.8), ("Cúc", 0.8), ("Duyên", 0.8), ("Trinh", 0.8), ("Ánh", 0.8), ("Bích", 0.8),
        ("Nụ", 0.6), ("Lài", 0.5), ("Điệp", 0.5), ("Lụa", 0.4), ("Hạ", 0.4),
    ),
    ("F", "1980_1999"): (
        ("Trang", 4.5), ("Thảo", 4.2), ("Linh", 4.0), ("Anh", 3.8), ("Phương", 3.4), ("Hằng", 3.0), ("Huyền", 2.9),
        ("Hiền", 2.7), ("Hương", 2.6), ("Hà", 2.4), ("Ngọc", 2.2), ("Nhung", 2.0), ("Thủy", 2.0), ("Mai", 1.8),
        ("Yến", 1.8), ("Giang", 1.8), ("Dung", 1.6), ("Hạnh", 1.6), ("Lan", 1.6), ("Trinh", 1.6), ("Vân", 1.6),
        ("Ly", 1.6), ("Hoa", 1.4), ("Thư", 1.4), ("Nga", 1.4), ("Chi", 1.4), ("Oanh", 1.4), ("Duyên", 1.4),
        ("Quỳnh", 1.4), ("Quyên", 1.2), ("Nhi", 1.2), ("Loan", 1.2), ("Tâm", 1.2), ("Uyên", 1.2), ("Ngân", 1.2),
        ("Hồng", 1.2), ("Thanh", 1.2), ("Thúy", 1.2), ("Thu", 1.2), ("Diễm", 1.0), ("Tuyết", 1.0), ("Vy", 1.0),
        ("Nhàn", 1.0), ("My", 1.0), ("Liên", 1.0), ("Huệ", 0.8), ("Tiên", 0.8), ("Châu", 0.8), ("Ánh", 0.8),
        ("Nguyệt", 0.8), ("Xuân", 0.8), ("Hậu", 0.6), ("Diệp", 0.6), ("Lệ", 0.6),
    ),
    ("F", "2000_plus"): (
        ("Anh", 7.1), ("Vy", 5.7), ("Ngọc", 4.3), ("Nhi", 4.2), ("Hân", 4.1), ("Thư", 4.1), ("Linh", 3.5),
        ("Như", 3.1), ("Ngân", 3.0), ("Trâm", 2.2), ("Chi", 2.2), ("Uyên", 2.0), ("Trang", 2.0), ("Thảo", 2.0),
        ("Hà", 1.8), ("Phương", 1.8), ("My", 1.8), ("Quỳnh", 1.6), ("An", 1.6), ("Châu", 1.4), ("Giang", 1.4),
        ("Vân", 1.2), ("Mai", 1.2), ("Ly", 1.2), ("Tiên", 1.2), ("Hương", 1.0), ("Hiền", 1.0), ("Yến", 1.0),
        ("Huyền", 1.0), ("Thy", 1.0), ("Khuê", 0.8), ("Diệp", 0.8), ("Nhiên", 0.8), ("Lan", 0.8), ("Tâm", 0.8),
        ("Trinh", 0.8), ("Duyên", 0.8), ("Hằng", 0.8), ("Nguyên", 0.8), ("Nhung", 0.6), ("Hạnh", 0.6),
        ("Quyên", 0.6), ("Thanh", 0.6), ("Ánh", 0.6), ("Xuân", 0.6), ("Minh", 0.6), ("Đan", 0.6), ("Thương", 0.6),
        ("Nghi", 0.6), ("Hoa", 0.5), ("Dung", 0.5), ("Hạ", 0.5), ("Loan", 0.4), ("Oanh", 0.4),
    ),
}
# fmt: on

# Probability that a full name has four words (two middle words) rather than three.  Source: DOMAIN.md §9 overall
# shares (men 26% four words, women 65%); the split by cohort is an estimate (four-word names rarer in older cohorts).
# With cohort weights of roughly 9/24/31/36% (2024 age structure) this gives ~0.27 for men and ~0.65 for women.
FOUR_WORD_SHARE: dict[tuple[str, str], float] = {
    ("M", "pre1960"): 0.12,
    ("M", "1960_1979"): 0.18,
    ("M", "1980_1999"): 0.27,
    ("M", "2000_plus"): 0.36,
    ("F", "pre1960"): 0.45,
    ("F", "1960_1979"): 0.58,
    ("F", "1980_1999"): 0.68,
    ("F", "2000_plus"): 0.72,
}

# Second middle word of four-word names ("Nguyễn Thị Ngọc Anh", "Trần Ngọc Bảo Vy", "Nguyễn Minh Đức Anh").
# Estimates from common usage; "Văn" and "Thị" never come second.  The generator should redraw when the second
# middle word equals the first one or the given name (e.g. "Ngọc Ngọc").
# fmt: off
SECOND_MIDDLE_NAMES: dict[str, tuple[tuple[str, float], ...]] = {
    "M": (
        ("Minh", 12.0), ("Hoàng", 7.0), ("Đức", 6.0), ("Gia", 6.0), ("Quang", 5.0), ("Anh", 5.0), ("Bảo", 5.0),
        ("Quốc", 5.0), ("Tuấn", 4.0), ("Thành", 4.0), ("Duy", 4.0), ("Thanh", 4.0), ("Hữu", 3.0), ("Trung", 3.0),
        ("Ngọc", 3.0), ("Hải", 3.0), ("Việt", 3.0), ("Nhật", 3.0), ("Xuân", 2.0), ("Tiến", 2.0), ("Công", 2.0),
        ("Mạnh", 2.0), ("Trọng", 2.0), ("Khánh", 2.0), ("Phúc", 2.0), ("Thiên", 2.0), ("Đăng", 2.0), ("Tấn", 2.0),
        ("Chí", 2.0), ("Đình", 1.5), ("Thế", 1.5), ("Nguyên", 1.5), ("Hồng", 1.0), ("Kim", 1.0),
    ),
    "F": (
        ("Ngọc", 10.0), ("Thu", 6.0), ("Thanh", 6.0), ("Kim", 5.0), ("Hồng", 5.0), ("Phương", 5.0), ("Minh", 4.0),
        ("Bảo", 4.0), ("Mỹ", 4.0), ("Thùy", 4.0), ("Bích", 3.0), ("Khánh", 3.0), ("Hoài", 3.0), ("Quỳnh", 3.0),
        ("Xuân", 3.0), ("Mai", 3.0), ("Thúy", 3.0), ("Diệu", 2.0), ("Hải", 2.0), ("Lan", 2.0), ("Tuyết", 2.0),
        ("Cẩm", 2.0), ("Hoàng", 2.0), ("Như", 2.0), ("Thảo", 2.0), ("Diễm", 1.5), ("Tú", 1.5), ("Huyền", 1.5),
        ("Ánh", 1.5), ("Kiều", 1.5), ("Vân", 1.5), ("Gia", 1.5), ("Tường", 1.5), ("Hà", 1.5), ("Yến", 1.0),
        ("Cát", 0.5),
    ),
}
# fmt: on

# The 54 recognised ethnic groups (official GSO code list, Decision 121-TCTK/PPCĐ of 1979), names as written on the
# record.  Not in the brief; provided so that records can show the ethnicity by name.
# fmt: off
ETHNIC_GROUPS: dict[int, str] = {
    1: "Kinh", 2: "Tày", 3: "Thái", 4: "Hoa", 5: "Khmer", 6: "Mường", 7: "Nùng", 8: "Mông", 9: "Dao", 10: "Gia Rai",
    11: "Ngái", 12: "Ê Đê", 13: "Ba Na", 14: "Xơ Đăng", 15: "Sán Chay", 16: "Cơ Ho", 17: "Chăm", 18: "Sán Dìu",
    19: "Hrê", 20: "Mnông", 21: "Raglay", 22: "Xtiêng", 23: "Bru-Vân Kiều", 24: "Thổ", 25: "Giáy", 26: "Cơ Tu",
    27: "Gié Triêng", 28: "Mạ", 29: "Khơ Mú", 30: "Co", 31: "Tà Ôi", 32: "Chơ Ro", 33: "Kháng", 34: "Xinh Mun",
    35: "Hà Nhì", 36: "Chu Ru", 37: "Lào", 38: "La Chí", 39: "La Ha", 40: "Phù Lá", 41: "La Hủ", 42: "Lự",
    43: "Lô Lô", 44: "Chứt", 45: "Mảng", 46: "Pà Thẻn", 47: "Cơ Lao", 48: "Cống", 49: "Bố Y", 50: "Si La",
    51: "Pu Péo", 52: "Brâu", 53: "Ơ Đu", 54: "Rơ Măm",
}
# fmt: on

# Ethnic composition by old province (ethnic code -> share, summing to 1.0).  Source: 2019 census results by province
# as remembered, rounded; the minority shares are approximations (small groups below ~0.1% mostly left out) and
# Kinh is the remainder.  Population-weighted national Kinh share ~0.857 (census 2019: 85.3%).
# fmt: off
ETHNICITY_BY_OLD_PROVINCE: dict[str, tuple[tuple[int, float], ...]] = {
    "001": ((1, 0.9847), (6, 0.0085), (2, 0.0025), (3, 0.0012), (9, 0.0012), (7, 0.0008), (4, 0.0008),  # Hà Nội
        (8, 0.0003)),
    "002": ((8, 0.336), (2, 0.232), (9, 0.151), (1, 0.121), (7, 0.098), (25, 0.021), (38, 0.015),  # Hà Giang
        (46, 0.008), (15, 0.006), (47, 0.004), (43, 0.002), (49, 0.002), (40, 0.002), (51, 0.001), (4, 0.001)),
    "004": ((2, 0.409), (7, 0.31), (8, 0.105), (9, 0.101), (1, 0.057), (15, 0.013), (43, 0.004),  # Cao Bằng
        (4, 0.001)),
    "006": ((2, 0.523), (9, 0.176), (1, 0.13), (7, 0.097), (8, 0.068), (15, 0.004), (4, 0.002)),  # Bắc Kạn
    "008": ((1, 0.491), (2, 0.25), (9, 0.114), (15, 0.078), (8, 0.026), (7, 0.02), (18, 0.014),  # Tuyên Quang
        (4, 0.003), (6, 0.003), (46, 0.001)),
    "010": ((1, 0.315), (8, 0.256), (2, 0.147), (9, 0.144), (25, 0.047), (7, 0.041), (35, 0.026),  # Lào Cai
        (40, 0.013), (3, 0.008), (4, 0.002), (42, 0.001)),
    "011": ((8, 0.38), (3, 0.34), (1, 0.196), (29, 0.032), (37, 0.011), (9, 0.011), (33, 0.007),  # Điện Biên
        (4, 0.007), (35, 0.006), (2, 0.006), (48, 0.003), (50, 0.001)),
    "012": ((8, 0.36), (3, 0.32), (9, 0.115), (1, 0.111), (35, 0.03), (41, 0.024), (42, 0.013),  # Lai Châu
        (45, 0.009), (25, 0.006), (29, 0.006), (33, 0.003), (48, 0.002), (50, 0.001)),
    "014": ((3, 0.535), (8, 0.169), (1, 0.141), (6, 0.076), (34, 0.022), (9, 0.02), (29, 0.013), (33, 0.01),  # Sơn La
        (39, 0.009), (37, 0.003), (2, 0.002)),
    "015": ((1, 0.5), (2, 0.185), (8, 0.118), (9, 0.112), (3, 0.062), (6, 0.009), (7, 0.009), (25, 0.003),  # Yên Bái
        (29, 0.001), (40, 0.001)),
    "017": ((6, 0.633), (1, 0.278), (3, 0.039), (2, 0.027), (9, 0.018), (8, 0.005)),  # Hòa Bình
    "019": ((1, 0.729), (2, 0.113), (7, 0.057), (18, 0.04), (15, 0.027), (9, 0.023), (8, 0.007),  # Thái Nguyên
        (4, 0.004)),
    "020": ((7, 0.429), (2, 0.359), (1, 0.168), (9, 0.035), (15, 0.004), (4, 0.003), (8, 0.002)),  # Lạng Sơn
    "022": ((1, 0.877), (9, 0.05), (2, 0.035), (18, 0.018), (15, 0.013), (4, 0.004), (7, 0.003)),  # Quảng Ninh
    "024": ((1, 0.867), (7, 0.045), (2, 0.025), (15, 0.022), (18, 0.019), (9, 0.014), (4, 0.008)),  # Bắc Giang
    "025": ((1, 0.846), (6, 0.138), (9, 0.012), (2, 0.003), (15, 0.001)),  # Phú Thọ
    "026": ((1, 0.964), (18, 0.033), (2, 0.001), (6, 0.001), (7, 0.001)),  # Vĩnh Phúc
    "027": ((1, 0.9965), (2, 0.001), (7, 0.001), (6, 0.001), (4, 0.0005)),  # Bắc Ninh
    "030": ((1, 0.9975), (2, 0.001), (6, 0.001), (4, 0.0005)),  # Hải Dương
    "031": ((1, 0.997), (4, 0.001), (2, 0.001), (6, 0.001)),  # Hải Phòng
    "033": ((1, 0.9984), (2, 0.0008), (6, 0.0008)),  # Hưng Yên
    "034": ((1, 0.999), (2, 0.0005), (6, 0.0005)),  # Thái Bình
    "035": ((1, 0.998), (6, 0.0015), (2, 0.0005)),  # Hà Nam
    "036": ((1, 0.9985), (6, 0.001), (2, 0.0005)),  # Nam Định
    "037": ((1, 0.975), (6, 0.024), (2, 0.001)),  # Ninh Bình
    "038": ((1, 0.8177), (6, 0.107), (3, 0.068), (8, 0.005), (9, 0.002), (29, 0.0003)),  # Thanh Hóa
    "040": ((1, 0.8579), (3, 0.093), (24, 0.023), (29, 0.013), (8, 0.012), (6, 0.001), (53, 0.0001)),  # Nghệ An
    "042": ((1, 0.999), (6, 0.0005), (44, 0.0003), (37, 0.0002)),  # Hà Tĩnh
    "044": ((1, 0.974), (23, 0.018), (44, 0.008)),  # Quảng Bình
    "045": ((1, 0.882), (23, 0.085), (31, 0.033)),  # Quảng Trị
    "046": ((1, 0.9565), (31, 0.027), (26, 0.014), (23, 0.002), (4, 0.0005)),  # Thừa Thiên Huế
    "048": ((1, 0.995), (26, 0.002), (4, 0.002), (2, 0.001)),  # Đà Nẵng
    "049": ((1, 0.907), (26, 0.044), (14, 0.028), (27, 0.014), (30, 0.005), (4, 0.002)),  # Quảng Nam
    "051": ((1, 0.86), (19, 0.1), (30, 0.025), (14, 0.015)),  # Quảng Ngãi
    "052": ((1, 0.981), (13, 0.014), (19, 0.003), (17, 0.002)),  # Bình Định
    "054": ((1, 0.943), (12, 0.026), (17, 0.026), (13, 0.005)),  # Phú Yên
    "056": ((1, 0.95), (21, 0.043), (16, 0.003), (4, 0.003), (12, 0.001)),  # Khánh Hòa
    "058": ((1, 0.734), (21, 0.135), (17, 0.12), (16, 0.006), (4, 0.003), (36, 0.002)),  # Ninh Thuận
    "060": ((1, 0.942), (17, 0.031), (21, 0.015), (4, 0.007), (16, 0.004), (36, 0.001)),  # Bình Thuận
    "062": ((1, 0.484), (14, 0.25), (13, 0.13), (27, 0.065), (10, 0.042), (6, 0.008), (2, 0.006),  # Kon Tum
        (3, 0.005), (7, 0.005), (19, 0.003), (52, 0.001), (54, 0.001)),
    "064": ((1, 0.529), (10, 0.305), (13, 0.14), (2, 0.007), (7, 0.006), (6, 0.006), (3, 0.004),  # Gia Lai
        (9, 0.003)),
    "066": ((1, 0.65), (12, 0.19), (7, 0.04), (2, 0.031), (20, 0.027), (8, 0.015), (9, 0.012), (3, 0.011),  # Đắk Lắk
        (6, 0.011), (10, 0.009), (4, 0.003), (15, 0.001)),
    "067": ((1, 0.671), (20, 0.1), (7, 0.055), (2, 0.052), (8, 0.043), (9, 0.033), (12, 0.013),  # Đắk Nông
        (28, 0.013), (3, 0.012), (6, 0.008)),
    "068": ((1, 0.77), (16, 0.126), (28, 0.024), (36, 0.016), (7, 0.015), (2, 0.013), (4, 0.01),  # Lâm Đồng
        (20, 0.008), (9, 0.006), (8, 0.006), (3, 0.003), (6, 0.003)),
    "070": ((1, 0.815), (22, 0.095), (7, 0.023), (5, 0.017), (2, 0.016), (20, 0.012), (4, 0.009),  # Bình Phước
        (9, 0.006), (6, 0.004), (3, 0.002), (32, 0.001)),
    "072": ((1, 0.986), (5, 0.008), (17, 0.003), (4, 0.003)),  # Tây Ninh
    "074": ((1, 0.956), (5, 0.015), (4, 0.008), (2, 0.006), (6, 0.005), (7, 0.005), (3, 0.004),  # Bình Dương
        (9, 0.001)),
    "075": ((1, 0.931), (4, 0.029), (7, 0.009), (2, 0.007), (32, 0.006), (6, 0.004), (5, 0.003),  # Đồng Nai
        (3, 0.003), (9, 0.003), (22, 0.002), (18, 0.002), (28, 0.001)),
    "077": ((1, 0.981), (4, 0.009), (32, 0.008), (5, 0.002)),  # Bà Rịa - Vũng Tàu
    "079": ((1, 0.949), (4, 0.042), (5, 0.005), (17, 0.001), (2, 0.001), (6, 0.001), (7, 0.001)),  # TP. Hồ Chí Minh
    "080": ((1, 0.996), (5, 0.002), (4, 0.002)),  # Long An
    "082": ((1, 0.998), (4, 0.001), (5, 0.001)),  # Tiền Giang
    "083": ((1, 0.998), (4, 0.001), (5, 0.001)),  # Bến Tre
    "084": ((1, 0.679), (5, 0.315), (4, 0.006)),  # Trà Vinh
    "086": ((1, 0.975), (5, 0.021), (4, 0.004)),  # Vĩnh Long
    "087": ((1, 0.998), (4, 0.001), (5, 0.001)),  # Đồng Tháp
    "089": ((1, 0.945), (5, 0.04), (4, 0.008), (17, 0.007)),  # An Giang
    "091": ((1, 0.851), (5, 0.125), (4, 0.024)),  # Kiên Giang
    "092": ((1, 0.972), (5, 0.017), (4, 0.011)),  # Cần Thơ
    "093": ((1, 0.965), (5, 0.03), (4, 0.005)),  # Hậu Giang
    "094": ((1, 0.644), (5, 0.302), (4, 0.054)),  # Sóc Trăng
    "095": ((1, 0.892), (5, 0.083), (4, 0.025)),  # Bạc Liêu
    "096": ((1, 0.97), (5, 0.025), (4, 0.005)),  # Cà Mau
}
# fmt: on

# Family names of the larger minority groups.  Sources: common knowledge of names on Vietnamese records, weights
# estimated.  Groups not listed fall back to FAMILY_NAMES.  Mông names are clan names (Giàng, Sùng, Vàng, Thào,
# Lý, Hầu, Mùa...); Dao: Bàn, Triệu, Đặng...; Khmer: Thạch, Danh, Sơn, Kim, Lâm, Chau (Chau, really a male
# prefix used in An Giang, sits where the family name goes); Ê Đê names follow the given name, see
# FAMILY_NAME_LAST_ETHNIC_CODES.
# Least certain: Ba Na (Đinh dominant, rest guessed), Gia Rai and Ê Đê spellings vary between records.
# fmt: off
ETHNIC_FAMILY_NAMES: dict[int, tuple[tuple[str, float], ...]] = {
    2: (  # Tày
        ("Hoàng", 20.0), ("Nông", 14.0), ("Hà", 10.0), ("Lục", 6.0), ("Bế", 6.0), ("Nguyễn", 6.0), ("Ma", 5.0),
        ("Lương", 5.0), ("Triệu", 4.0), ("Đàm", 3.0), ("Chu", 3.0), ("Lâm", 3.0), ("Hứa", 2.0), ("La", 2.0),
        ("Quan", 2.0), ("Lý", 2.0), ("Đinh", 2.0), ("Mông", 1.0), ("Lành", 1.0),
    ),
    3: (  # Thái
        ("Lò", 18.0), ("Lường", 12.0), ("Quàng", 8.0), ("Cầm", 8.0), ("Vi", 8.0), ("Hà", 7.0), ("Lê", 5.0),
        ("Tòng", 4.0), ("Điêu", 4.0), ("Lương", 4.0), ("Lang", 4.0), ("Bạc", 3.0), ("Vì", 3.0), ("Lộc", 3.0),
        ("Cà", 2.0), ("Sa", 2.0), ("Mè", 2.0), ("Lữ", 2.0), ("Lù", 1.0),
    ),
    4: (  # Hoa
        ("Lý", 10.0), ("Trần", 8.0), ("Lâm", 8.0), ("Trương", 7.0), ("Hoàng", 6.0), ("Huỳnh", 5.0), ("Quách", 5.0),
        ("Diệp", 4.0), ("Châu", 4.0), ("Hứa", 4.0), ("Tăng", 4.0), ("Lưu", 4.0), ("Mã", 3.0), ("Dương", 3.0),
        ("Lương", 3.0), ("Ngô", 3.0), ("Thái", 2.0), ("Vương", 2.0), ("Tạ", 2.0), ("La", 2.0), ("Âu", 2.0),
        ("Trịnh", 2.0), ("Từ", 2.0), ("Phùng", 1.0), ("Tô", 1.0), ("Khưu", 1.0), ("Quan", 1.0), ("Mạc", 1.0),
    ),
    5: (  # Khmer
        ("Thạch", 28.0), ("Danh", 18.0), ("Sơn", 14.0), ("Kim", 10.0), ("Lâm", 6.0), ("Chau", 3.0), ("Lý", 4.0),
        ("Trần", 3.0), ("Huỳnh", 3.0), ("Dương", 2.0), ("Tăng", 2.0), ("Triệu", 2.0),
    ),
    6: (  # Mường
        ("Bùi", 28.0), ("Đinh", 22.0), ("Quách", 10.0), ("Hà", 8.0), ("Bạch", 5.0), ("Xa", 4.0), ("Nguyễn", 6.0),
        ("Phạm", 4.0), ("Cao", 3.0), ("Trương", 3.0), ("Lê", 3.0), ("Hoàng", 2.0), ("Đặng", 2.0),
    ),
    7: (  # Nùng
        ("Hoàng", 18.0), ("Nông", 12.0), ("Lương", 9.0), ("Vi", 8.0), ("Lục", 6.0), ("Triệu", 6.0), ("Lý", 5.0),
        ("Chu", 5.0), ("Hứa", 5.0), ("Mã", 4.0), ("Lăng", 4.0), ("Sầm", 3.0), ("Dương", 3.0), ("Nguyễn", 4.0),
        ("Hà", 3.0), ("Lâm", 2.0), ("La", 2.0), ("Mông", 1.0),
    ),
    8: (  # Mông
        ("Giàng", 16.0), ("Sùng", 14.0), ("Vàng", 13.0), ("Thào", 12.0), ("Lý", 10.0), ("Hầu", 6.0), ("Mùa", 6.0),
        ("Lầu", 5.0), ("Vừ", 5.0), ("Hạng", 3.0), ("Tráng", 3.0), ("Sình", 2.0), ("Ly", 2.0), ("Cứ", 2.0),
        ("Chá", 1.0),
    ),
    9: (  # Dao
        ("Bàn", 20.0), ("Triệu", 20.0), ("Đặng", 14.0), ("Lý", 10.0), ("Chảo", 7.0), ("Phùng", 6.0), ("Tẩn", 6.0),
        ("Phàn", 5.0), ("Hoàng", 4.0), ("Dương", 3.0), ("Chìu", 2.0), ("Lò", 2.0), ("Sần", 1.0),
    ),
    10: (  # Gia Rai
        ("Ksor", 18.0), ("Siu", 16.0), ("Rơ Châm", 14.0), ("Rơ Mah", 12.0), ("Kpă", 10.0), ("Nay", 8.0),
        ("Rahlan", 7.0), ("Puih", 6.0), ("Rcom", 4.0), ("Rơ Ô", 3.0), ("Hiao", 2.0),
    ),
    12: (  # Ê Đê (written last: "Y Bih Niê", "H'Hen Niê")
        ("Niê", 16.0), ("Mlô", 10.0), ("Byă", 8.0), ("Êban", 8.0), ("Ksơr", 7.0), ("Ayun", 6.0), ("Adrơng", 6.0),
        ("Niê Kdăm", 6.0), ("Buôn Yă", 5.0), ("Knul", 5.0), ("Kbuôr", 5.0), ("Mdrang", 5.0), ("Êmô", 4.0),
        ("Ênuôl", 4.0), ("Buôn Krông", 3.0), ("Hmok", 2.0),
    ),
    13: (  # Ba Na
        ("Đinh", 70.0), ("Nguyễn", 8.0), ("Lê", 5.0), ("Phạm", 4.0), ("Hồ", 4.0), ("Trần", 3.0), ("Bùi", 3.0),
        ("Hoàng", 3.0),
    ),
    17: (  # Chăm (Ninh Thuận - Bình Thuận names; the Muslim Chăm of An Giang use other forms)
        ("Đàng", 14.0), ("Thông", 12.0), ("Quảng", 12.0), ("Trượng", 8.0), ("Châu", 7.0), ("Lưu", 6.0), ("Hán", 6.0),
        ("Phú", 5.0), ("Thập", 4.0), ("Bá", 4.0), ("Thiên", 3.0), ("Báo", 3.0), ("Lộ", 3.0), ("Mưu", 2.0),
        ("Từ", 2.0), ("Ông", 2.0), ("Nguyễn", 5.0), ("Thuận", 2.0),
    ),
}
# fmt: on

# Middle words of the larger minority groups by sex.  Mông men "A" (Giàng A Páo) or "Seo" (Lào Cai), women "Thị" or
# "Mí"; Ê Đê men "Y", women "H'" (a prefix to the given name rather than a middle name, see ATTACHED_PREFIXES);
# Gia Rai women often "H'" too.  Most other groups use Văn / Thị like the Kinh.  Weights estimated.  Groups or sexes
# not listed fall back to MIDDLE_NAMES.  See NO_MIDDLE_SHARE for names with no middle word.
# fmt: off
ETHNIC_MIDDLE_NAMES: dict[tuple[int, str], tuple[tuple[str, float], ...]] = {
    (2, "M"): (("Văn", 70.0), ("Đức", 6.0), ("Minh", 6.0), ("Quang", 5.0), ("Hữu", 4.0), ("Xuân", 4.0), ("Thanh", 5.0)),
    (2, "F"): (("Thị", 85.0), ("Thu", 4.0), ("Ngọc", 4.0), ("Thanh", 4.0), ("Hồng", 3.0)),
    (3, "M"): (("Văn", 82.0), ("Bá", 4.0), ("Đình", 4.0), ("Minh", 5.0), ("Xuân", 5.0)),
    (3, "F"): (("Thị", 92.0), ("Ngọc", 3.0), ("Thu", 3.0), ("Hồng", 2.0)),
    (4, "M"): (
        ("Quốc", 10.0), ("Văn", 10.0), ("Minh", 10.0), ("Gia", 8.0), ("Chí", 8.0), ("Hoàng", 8.0), ("Kiến", 6.0),
        ("Vĩnh", 6.0), ("Tuấn", 6.0), ("Thế", 5.0), ("Hán", 4.0), ("Chấn", 3.0), ("Vĩ", 3.0),
    ),
    (4, "F"): (
        ("Mỹ", 14.0), ("Ngọc", 12.0), ("Thị", 12.0), ("Tuyết", 8.0), ("Lệ", 8.0), ("Huệ", 8.0), ("Kim", 8.0),
        ("Gia", 6.0), ("Bội", 5.0), ("Uyển", 5.0), ("Thục", 5.0), ("Bảo", 5.0), ("Tú", 4.0),
    ),
    (5, "M"): (
        ("Văn", 14.0), ("Ngọc", 18.0), ("Minh", 12.0), ("Thanh", 10.0), ("Phước", 8.0), ("Kim", 6.0), ("Hoàng", 6.0),
        ("Quốc", 6.0), ("Chí", 5.0), ("Hữu", 5.0), ("Tấn", 5.0), ("Duy", 5.0),
    ),
    (5, "F"): (
        ("Thị", 60.0), ("Ngọc", 10.0), ("Kim", 6.0), ("Hồng", 6.0), ("Thanh", 5.0), ("Mỹ", 5.0), ("Thu", 4.0),
        ("Phương", 4.0),
    ),
    (6, "M"): (("Văn", 78.0), ("Công", 5.0), ("Đức", 5.0), ("Minh", 5.0), ("Xuân", 4.0), ("Thanh", 3.0)),
    (6, "F"): (("Thị", 92.0), ("Thu", 3.0), ("Ngọc", 3.0), ("Hồng", 2.0)),
    (7, "M"): (("Văn", 78.0), ("Đức", 5.0), ("Minh", 5.0), ("Quang", 4.0), ("Xuân", 4.0), ("Thanh", 4.0)),
    (7, "F"): (("Thị", 90.0), ("Thu", 3.0), ("Ngọc", 4.0), ("Hồng", 3.0)),
    (8, "M"): (("A", 62.0), ("Seo", 16.0), ("Văn", 22.0)),
    (8, "F"): (("Thị", 75.0), ("Mí", 25.0)),
    (9, "M"): (("Văn", 70.0), ("Seo", 12.0), ("Láo", 8.0), ("Tiến", 5.0), ("Quý", 5.0)),
    (9, "F"): (("Thị", 80.0), ("Mùi", 12.0), ("Tả", 8.0)),
    (10, "M"): (("Văn", 70.0), ("Đức", 15.0), ("Minh", 15.0)),
    (10, "F"): (("H'", 60.0), ("Thị", 40.0)),
    (12, "M"): (("Y", 1.0),),
    (12, "F"): (("H'", 1.0),),
    (13, "M"): (("Văn", 90.0), ("Minh", 5.0), ("Đức", 5.0)),
    (13, "F"): (("Thị", 95.0), ("Ngọc", 5.0)),
    (17, "M"): (("Văn", 45.0), ("Ngọc", 10.0), ("Thanh", 10.0), ("Minh", 10.0), ("Năng", 10.0), ("Đại", 5.0),
                ("Phú", 5.0), ("Chí", 5.0)),
    (17, "F"): (("Thị", 80.0), ("Ngọc", 8.0), ("Thanh", 6.0), ("Thu", 6.0)),
}
# fmt: on

# Probability that a name of this (ethnic code, sex) has no middle word at all ("Rơ Châm Long", "Danh Út",
# "Thạch Sô Phal").  Estimates; not in the brief.  Missing keys mean 0.
NO_MIDDLE_SHARE: dict[tuple[int, str], float] = {
    (5, "M"): 0.45,
    (5, "F"): 0.15,
    (10, "M"): 0.6,
    (10, "F"): 0.3,
    (13, "M"): 0.2,
    (13, "F"): 0.1,
}

# Ethnic groups whose registry names put the family name LAST: middle (prefix) + given + family, e.g. "Y Bih Niê",
# "H'Hen Niê", "Y Thanh Hà Niê Kdăm" (Ê Đê).  Everyone else: family + middle + given.  Not in the brief.
FAMILY_NAME_LAST_ETHNIC_CODES: frozenset[int] = frozenset({12})

# Middle words written joined to the following word, without a space: "H'" + "Hen" -> "H'Hen".  ASCII apostrophe;
# real records also use the typographic "’" or a space ("H' Hen").  Not in the brief.
ATTACHED_PREFIXES: frozenset[str] = frozenset({"H'"})

# Given names typical of a few groups whose names are mostly not Kinh-like (Mông, Ê Đê); mixed with common Kinh names
# as they are on real records.  Optional, estimates; groups not listed use GIVEN_NAMES.  Not in the brief.
# fmt: off
ETHNIC_GIVEN_NAMES: dict[tuple[int, str], tuple[tuple[str, float], ...]] = {
    (8, "M"): (
        ("Páo", 6.0), ("Chu", 6.0), ("Dình", 5.0), ("Lử", 5.0), ("Sử", 5.0), ("Chứ", 5.0), ("Tủa", 5.0), ("Pó", 4.0),
        ("Sình", 4.0), ("Dế", 4.0), ("Lềnh", 3.0), ("Phử", 3.0), ("Của", 3.0), ("Hồ", 3.0), ("Sáu", 3.0),
        ("Thào", 2.0), ("Dơ", 2.0), ("Sơn", 3.0), ("Minh", 3.0), ("Hùng", 2.0), ("Tùng", 2.0),
    ),
    (8, "F"): (
        ("Mỷ", 6.0), ("Sua", 6.0), ("Dợ", 5.0), ("Chua", 5.0), ("Pằng", 5.0), ("Dính", 5.0), ("Say", 4.0),
        ("Dua", 4.0), ("Súa", 4.0), ("Chá", 3.0), ("Cở", 3.0), ("Ly", 3.0), ("Mai", 4.0), ("Lan", 3.0), ("Hoa", 3.0),
        ("Phương", 2.0), ("Sinh", 3.0), ("Khu", 2.0),
    ),
    (12, "M"): (
        ("Bih", 5.0), ("Ngông", 4.0), ("Tlang", 4.0), ("Blang", 4.0), ("Kô", 4.0), ("Jút", 3.0), ("Wơn", 3.0),
        ("Bhin", 3.0), ("Djao", 3.0), ("Nuê", 2.0), ("Thanh", 4.0), ("Hải", 3.0), ("Dũng", 3.0), ("Khoa", 2.0),
        ("Phôn", 2.0), ("Krai", 2.0), ("Sơn", 3.0), ("Minh", 3.0),
    ),
    (12, "F"): (
        ("Hen", 4.0), ("Luin", 4.0), ("Ler", 4.0), ("Nier", 4.0), ("Bia", 3.0), ("Blung", 3.0), ("Dung", 3.0),
        ("Xuân", 4.0), ("Hoa", 4.0), ("Lan", 3.0), ("Mai", 3.0), ("Ngọc", 3.0), ("Yên", 3.0), ("Nhi", 2.0),
        ("Bla", 2.0), ("Hương", 3.0),
    ),
}
# fmt: on

# Religion as written on the record, by naming region (shares sum to 1.0).  Source: 2019 census (no religion 86.3%,
# Catholic 6.1%, Buddhist 4.8%, Protestant 1.0%, Cao Đài 0.6%, Hòa Hảo 1.0%), split by region as an estimate: Catholics
# in the Red River Delta and the Southeast/Highlands, Protestants among the Mông and the Highland groups, Hòa Hảo and
# most Cao Đài in the south, Bà-la-môn (Chăm Brahmanism) in Ninh Thuận.  Weighted national "Không" ~0.865.
# Known limitation: region-level only, while religion really follows the province and the ethnic group.
# fmt: off
RELIGIONS: dict[str, tuple[tuple[str, float], ...]] = {
    "north": (
        ("Không", 0.9288), ("Công giáo", 0.04), ("Phật giáo", 0.02), ("Tin lành", 0.011), ("Cao Đài", 0.0002),
    ),
    "central": (
        ("Không", 0.854), ("Công giáo", 0.07), ("Phật giáo", 0.05), ("Tin lành", 0.022), ("Cao Đài", 0.003),
        ("Hồi giáo", 0.0005), ("Bà-la-môn", 0.0005),
    ),
    "south": (
        ("Không", 0.81), ("Phật giáo", 0.075), ("Công giáo", 0.07), ("Phật giáo Hòa Hảo", 0.027), ("Cao Đài", 0.013),
        ("Tin lành", 0.004), ("Hồi giáo", 0.001),
    ),
}
# fmt: on
