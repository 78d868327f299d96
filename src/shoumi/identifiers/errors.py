"""The error raised for an invalid identifier, and every user message the package produces.

Messages are Simplified Chinese because staff read them in forms and import reports. This
package imports nothing from Django, so it cannot use Django's translation machinery. A
caller that needs another language maps the stable ``code`` to its own text. No message
contains the value or any part of it: only lengths, positions and the letters that the
code's alphabet excludes.
"""

from __future__ import annotations

from shoumi.errors import ShoumiError

# Chinese name of each identifier kind, used in messages. Keys are ``Kind`` values.
KIND_LABELS: dict[str, str] = {
    "resident_id": "居民身份证号码",
    "residence_permit": "港澳台居民居住证号码",
    "foreign_permanent_residence_id": "外国人永久居留身份证号码",
    "uscc": "统一社会信用代码",
    "org_code": "组织机构代码",
    "registration_number": "工商注册号",
    "taxpayer_id": "纳税人识别号",
    "bank_card": "银行卡号",
    "bank_account": "银行账号",
    "mobile": "手机号码",
    "landline": "固定电话号码",
    "passport": "护照号码",
    "travel_permit": "来往内地（大陆）通行证号码",
}

# Error code -> message template. ``{label}`` is the kind's Chinese name; other
# placeholders are named in the template.
ERROR_MESSAGES: dict[str, str] = {
    "not_text": "输入的值不是文本。请把电子表格中该列设为“文本”格式后重新导入。",
    "empty": "{label}为空。",
    "excel_scientific_notation": (
        "该值已被 Excel 转成科学计数法，后几位数字已经丢失。"
        "请把该列设为“文本”格式，从原始资料重新录入或导出。"
    ),
    "excel_truncated": (
        "数字超过15位被 Excel 截断：第15位以后的数字都变成了0。"
        "请把该列设为“文本”格式，从原始资料重新录入或导出。"
    ),
    "wrong_length": "{label}应为{expected}位，实际为{actual}位。",
    "length_out_of_range": "{label}应为{minimum}至{maximum}位，实际为{actual}位。",
    "non_digit": "{label}第{position}位应为数字。",
    "invalid_character": "{label}第{position}位含有不允许的字符。",
    "invalid_last_character": "{label}最后一位应为数字或 X。",
    "invalid_format": "{label}格式不正确：{expected}。",
    "invalid_check_digit": "{label}校验码不正确，请逐位核对原件。",
    "is_foreign_permanent_residence_id": (
        "以 9 开头的18位号码是外国人永久居留身份证号码，不是居民身份证号码。请选择正确的证件类型。"
    ),
    "invalid_province": "{label}前两位不是有效的省级行政区划代码。",
    "invalid_residence_permit_code": (
        "港澳台居民居住证号码的前6位只能是 810000（香港）、820000（澳门）或 830000（台湾）。"
    ),
    "not_residence_permit": "这是居民身份证号码，不是港澳台居民居住证号码。",
    "invalid_birth_date": "{label}中的出生日期不存在。",
    "future_birth_date": "{label}中的出生日期晚于今天。",
    "not_foreign_permanent_residence_id": "2023年版{label}应以 9 开头。",
    "invalid_province_of_office": "{label}第2至3位不是有效的省级行政区划代码（受理机关所在省）。",
    "excluded_letter": (
        "{label}第{position}位是字母 {letter}，该代码不使用字母 I、O、Z、S、V。{hint}"
    ),
    "unknown_registration_authority": "{label}第1位不是已知的登记管理部门代码。",
    "invalid_division_code": "{label}中的行政区划代码无效：前两位不是省级行政区划代码。",
    "check_and_org_code_mismatch": (
        "{label}校验码不符，第9至17位的组织机构代码也未通过校验，请对照营业执照逐位核对。"
    ),
    "embedded_identifier_invalid": "{label}中的{part}无效：{reason}",
    "unrecognised_taxpayer_id": (
        "无法识别的{label}格式：应为18位统一社会信用代码、15位（行政区划代码加组织机构代码）、"
        "18位或20位（居民身份证号码加顺序号）。境外个人请按其证件号码录入。"
    ),
    "invalid_card_prefix": "{label}首位应为 2、3、4、5、6 或 9（发卡行标识）。",
    "unsupported_country_code": "只支持中国大陆的{label}（国家代码 +86）。",
    "invalid_mobile_start": "{label}应以 1 开头。",
    "iot_number": "以 140 至 144 开头的是物联网号码，不是{label}。",
    "unallocated_mobile_prefix": "{label}的前3位号段没有分配给公众移动通信网。",
    "missing_leading_zero": (
        "{label}应以区号 0 开头。首位的 0 可能在导出表格时丢失，请补上后重新输入。"
    ),
    "invalid_area_code": "{label}的区号无效。",
    "invalid_local_number": "{label}的本地号码不能以 0 或 1 开头。",
    "wrong_local_length": "{label}的本地号码应为{expected}位，实际为{actual}位。",
    "service_number": "400、800、95 和 12 开头的是企业或公共服务号码，不是{label}。",
}


class InvalidIdentifier(ShoumiError, ValueError):
    """An identifier that cannot be accepted, with a stable ``code`` and a Chinese message.

    ``kind`` is the kind being parsed (``None`` when the failure came before any kind was
    chosen, for example Excel damage found by ``normalise``), and ``params`` contains the
    values substituted into the message. None of them is personal data.
    """

    code = "invalid_identifier"

    def __init__(self, code: str, *, kind: str | None = None, **params: object) -> None:
        label = KIND_LABELS.get(kind or "", "证件号码")
        message = ERROR_MESSAGES[code].format(label=label, **params)
        super().__init__(message, code=code)
        self.kind = kind
        self.params = params
