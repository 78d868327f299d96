import pytest

from shoumi.errors import ShoumiError
from shoumi.identifiers import (
    InvalidIdentifier,
    normalise,
    parse_bank_card,
    parse_foreign_permanent_residence_id,
    parse_landline,
    parse_mobile,
    parse_org_code,
    parse_passport,
    parse_registration_number,
    parse_residence_permit,
    parse_resident_id,
    parse_taxpayer_id,
    parse_uscc,
)
from shoumi.identifiers.base import WARNING_MESSAGES
from shoumi.identifiers.errors import ERROR_MESSAGES

# Error code -> (parser, input, exact message).
ERROR_CASES = {
    "not_text": (
        normalise,
        13800138000,
        "输入的值不是文本。请把电子表格中该列设为“文本”格式后重新导入。",
    ),
    "empty": (parse_mobile, "  ", "手机号码为空。"),
    "excel_scientific_notation": (
        parse_resident_id,
        "1.10105E+17",
        "该值已被 Excel 转成科学计数法，后几位数字已经丢失。"
        "请把该列设为“文本”格式，从原始资料重新录入或导出。",
    ),
    "excel_truncated": (
        parse_bank_card,
        "6217001234567890000",
        "数字超过15位被 Excel 截断：第15位以后的数字都变成了0。"
        "请把该列设为“文本”格式，从原始资料重新录入或导出。",
    ),
    "wrong_length": (
        parse_resident_id,
        "11010519491231002",
        "居民身份证号码应为18（旧号码为15）位，实际为17位。",
    ),
    "length_out_of_range": (parse_bank_card, "62170012345", "银行卡号应为12至19位，实际为11位。"),
    "non_digit": (parse_resident_id, "3201061978A9230418", "居民身份证号码第11位应为数字。"),
    "invalid_character": (parse_org_code, "6000#7341", "组织机构代码第5位含有不允许的字符。"),
    "invalid_last_character": (
        parse_resident_id,
        "11010519491231002A",
        "居民身份证号码最后一位应为数字或 X。",
    ),
    "invalid_format": (
        parse_foreign_permanent_residence_id,
        "KA1110090123105",
        "外国人永久居留身份证号码格式不正确：旧版号码应为3个英文字母加12位数字。",
    ),
    "invalid_check_digit": (
        parse_resident_id,
        "110105194912310021",
        "居民身份证号码校验码不正确，请逐位核对原件。",
    ),
    "is_foreign_permanent_residence_id": (
        parse_resident_id,
        "911398199012310021",
        "以 9 开头的18位号码是外国人永久居留身份证号码，不是居民身份证号码。请选择正确的证件类型。",
    ),
    "invalid_province": (
        parse_resident_id,
        "190101198001011237",
        "居民身份证号码前两位不是有效的省级行政区划代码。",
    ),
    "invalid_residence_permit_code": (
        parse_resident_id,
        "811234199001011234",
        "港澳台居民居住证号码的前6位只能是 810000（香港）、820000（澳门）或 830000（台湾）。",
    ),
    "not_residence_permit": (
        parse_residence_permit,
        "11010519491231002X",
        "这是居民身份证号码，不是港澳台居民居住证号码。",
    ),
    "invalid_birth_date": (
        parse_resident_id,
        "440305199902291232",
        "居民身份证号码中的出生日期不存在。",
    ),
    "future_birth_date": (
        parse_resident_id,
        "440305209901011231",
        "居民身份证号码中的出生日期晚于今天。",
    ),
    "not_foreign_permanent_residence_id": (
        parse_foreign_permanent_residence_id,
        "811398199012310021",
        "2023年版外国人永久居留身份证号码应以 9 开头。",
    ),
    "invalid_province_of_office": (
        parse_foreign_permanent_residence_id,
        "999398199012310021",
        "外国人永久居留身份证号码第2至3位不是有效的省级行政区划代码（受理机关所在省）。",
    ),
    "excluded_letter": (
        parse_uscc,
        "91310115MA1K2R0O80",
        "统一社会信用代码第16位是字母 O，该代码不使用字母 I、O、Z、S、V。可能应为数字 0。",
    ),
    "unknown_registration_authority": (
        parse_uscc,
        "B1350100M000100Y43",
        "统一社会信用代码第1位不是已知的登记管理部门代码。",
    ),
    "invalid_division_code": (
        parse_uscc,
        "91990100M000100Y43",
        "统一社会信用代码中的行政区划代码无效：前两位不是省级行政区划代码。",
    ),
    "check_and_org_code_mismatch": (
        parse_uscc,
        "111111111111111111",
        "统一社会信用代码校验码不符，第9至17位的组织机构代码也未通过校验，请对照营业执照逐位核对。",
    ),
    "embedded_identifier_invalid": (
        parse_taxpayer_id,
        "110108600037342",
        "纳税人识别号中的组织机构代码无效：组织机构代码校验码不正确，请逐位核对原件。",
    ),
    "unrecognised_taxpayer_id": (
        parse_taxpayer_id,
        "1101086000373",
        "无法识别的纳税人识别号格式：应为18位统一社会信用代码、15位（行政区划代码加组织机构代码）、"
        "18位或20位（居民身份证号码加顺序号）。境外个人请按其证件号码录入。",
    ),
    "invalid_card_prefix": (
        parse_bank_card,
        "1217001234567890122",
        "银行卡号首位应为 2、3、4、5、6 或 9（发卡行标识）。",
    ),
    "unsupported_country_code": (
        parse_mobile,
        "+85261234567",
        "只支持中国大陆的手机号码（国家代码 +86）。",
    ),
    "invalid_mobile_start": (parse_mobile, "23800138000", "手机号码应以 1 开头。"),
    "iot_number": (parse_mobile, "14012345678", "以 140 至 144 开头的是物联网号码，不是手机号码。"),
    "unallocated_mobile_prefix": (
        parse_mobile,
        "15412345678",
        "手机号码的前3位号段没有分配给公众移动通信网。",
    ),
    "missing_leading_zero": (
        parse_landline,
        "1062123456",
        "固定电话号码应以区号 0 开头。首位的 0 可能在导出表格时丢失，请补上后重新输入。",
    ),
    "invalid_area_code": (parse_landline, "0112345678", "固定电话号码的区号无效。"),
    "invalid_local_number": (
        parse_landline,
        "010-12345678",
        "固定电话号码的本地号码不能以 0 或 1 开头。",
    ),
    "wrong_local_length": (
        parse_landline,
        "0755-123456",
        "固定电话号码的本地号码应为7或8位，实际为6位。",
    ),
    "service_number": (
        parse_landline,
        "4008123123",
        "400、800、95 和 12 开头的是企业或公共服务号码，不是固定电话号码。",
    ),
}

# Warning code -> (parser, input).
WARNING_CASES = {
    "region_unknown": (parse_resident_id, "110199198001011238"),
    "birth_year_before_1900": (parse_resident_id, "440524188001010014"),
    "converted_from_15": (parse_resident_id, "320106780923041"),
    "converted_from_15_or_truncated_18": (parse_resident_id, "320106201008080"),
    "check_character_mismatch": (parse_uscc, "91350100M000100Y44"),
    "unknown_entity_type": (parse_uscc, "98350100M000100Y4D"),
    "division_code_unknown": (parse_uscc, "91119900M000100Y4X"),
    "luhn_failed": (parse_bank_card, "6217001234567890123"),
    "possibly_excel_truncated": (parse_bank_card, "6222021234567890"),
    "legacy_check_digit_mismatch": (parse_foreign_permanent_residence_id, "KAZ110090123107"),
    "unknown_nationality": (parse_foreign_permanent_residence_id, "QQQ110090123105"),
    "legacy_unchecked": (parse_registration_number, "1101080000000"),
    "expired_passport_series": (parse_passport, "G12345678"),
}


def test_every_error_code_has_a_case():
    assert set(ERROR_CASES) == set(ERROR_MESSAGES)


def test_every_warning_code_has_a_case():
    assert set(WARNING_CASES) == set(WARNING_MESSAGES)


@pytest.mark.parametrize(("code", "case"), sorted(ERROR_CASES.items()))
def test_error_message(code, case):
    parser, text, message = case

    with pytest.raises(InvalidIdentifier) as caught:
        parser(text)

    assert caught.value.code == code
    assert caught.value.message == message
    assert str(caught.value) == message


@pytest.mark.parametrize(("code", "case"), sorted(WARNING_CASES.items()))
def test_warning_message(code, case):
    parser, text = case

    parsed = parser(text)
    found = [item for item in parsed.warnings if item.code == code]

    assert len(found) == 1
    assert found[0].message == WARNING_MESSAGES[code][0]
    assert found[0].requires_confirmation is WARNING_MESSAGES[code][1]


def test_invalid_identifier_is_value_error_and_shoumi_error():
    error = InvalidIdentifier("empty", kind="mobile")

    assert isinstance(error, ValueError)
    assert isinstance(error, ShoumiError)
    assert error.kind == "mobile"


@pytest.mark.parametrize(("code", "case"), sorted(ERROR_CASES.items()))
def test_error_message_never_quotes_the_value(code, case):
    _, text, message = case
    digits = "".join(character for character in str(text) if character.isdigit())

    assert len(digits) < 6 or digits not in message
