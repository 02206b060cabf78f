"""Metadata manifests (essays.manifest): every date form, BOM, GB18030,
unknown columns, bad and duplicate rows."""
import pytest

from essays.dates import PartialDate
from essays.manifest import ManifestError, Metadata, parse_manifest


def manifest(text, encoding="utf-8"):
    return parse_manifest(text.encode(encoding), "metadata.csv")


def test_a_full_manifest_in_any_column_order():
    m = manifest("url,file,author,date,column,source\n"
                 "https://example.org/1,0001.txt,任仲平,2019年7月1日,评论,人民日报\n"
                 "http://example.org/2,0002.txt,本报评论员,2019-07,社论,求是\n")
    assert m.problems == ()
    assert m.rows["0001.txt"] == Metadata(PartialDate(2019, 7, 1), "人民日报", "任仲平", "评论",
                                          "https://example.org/1", ("date", "source", "author", "column", "url"))
    assert m.rows["0002.txt"].date == PartialDate(2019, 7) and m.rows["0002.txt"].source == "求是"
    assert m.lines == {"0001.txt": 2, "0002.txt": 3}


@pytest.mark.parametrize("encoding, prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b"")])
def test_utf8_with_or_without_bom_and_gb18030(encoding, prefix):
    data = prefix + "file,source,date\n一.txt,新华社,2019/7/1\n".encode(encoding)
    m = parse_manifest(data)
    assert m.rows["一.txt"].source == "新华社" and m.rows["一.txt"].date == PartialDate(2019, 7, 1)
    assert m.rows["一.txt"].given == ("date", "source")


def test_chinese_column_names_and_crlf():
    m = manifest("文件,日期,来源,作者,栏目,链接\r\n1.txt,2019,人民日报,,,\r\n")
    assert m.rows["1.txt"] == Metadata(PartialDate(2019), "人民日报", "", "", "",
                                       ("date", "source", "author", "column", "url"))


@pytest.mark.parametrize("text, says", [
    ("file,date,publisher\n1.txt,2019,x\n", "未知的列「publisher」"),
    ("date,source\n2019,x\n", "缺少必需的列 file"),
    ("file,date,date\n1.txt,2019,2019\n", "出现了不止一次"),
    ("", "文件是空的"),
    ("\n\n", "文件是空的"),
])
def test_whole_file_problems_name_the_line_and_reason(text, says):
    with pytest.raises(ManifestError) as err:
        manifest(text)
    assert says in err.value.reason and "metadata.csv" in err.value.reason


def test_undecodable_and_binary_manifests_are_refused():
    with pytest.raises(ManifestError) as err:
        parse_manifest(b"file,date\n\xff\xfe\xfa\x80\x80,2019\n")
    assert "编码" in err.value.reason
    with pytest.raises(ManifestError) as err:
        parse_manifest(b"file,date\n1.txt\x00,2019\n")
    assert "二进制" in err.value.reason


def test_bad_rows_are_reported_with_their_line_and_the_rest_applies():
    m = manifest("file,date,url\n"
                 "good.txt,2019-07-01,https://example.org/\n"
                 "baddate.txt,2019-02-30,\n"
                 ",2019,\n"
                 "badurl.txt,2019,javascript:alert(1)\n"
                 "\n"
                 "dup.txt,2019,\n"
                 "toomany.txt,2019,,extra\n"
                 "dup.txt,2020,\n"
                 "also-good.txt,,\n")
    assert sorted(m.rows) == ["also-good.txt", "good.txt"]
    assert m.rows["also-good.txt"].date is None  # an empty cell clears the date
    reasons = {(p.line, p.file): p.reason for p in m.problems}
    assert [p.line for p in m.problems] == [3, 4, 5, 8, 9]
    assert "不存在" in reasons[(3, "baddate.txt")]
    assert "file 列为空" in reasons[(4, "")]
    assert "http" in reasons[(5, "badurl.txt")]
    assert "多于表头" in reasons[(8, "toomany.txt")]
    assert "与第 7 行重复" in reasons[(9, "dup.txt")]
    assert str(m.problems[0]).startswith("第 3 行（baddate.txt）：")


def test_rows_for_files_not_imported_are_reported():
    m = manifest("file,source\na.txt,甲\nb.txt,乙\n")
    assert [(p.line, p.file) for p in m.unused(["a.txt"])] == [(3, "b.txt")]
    assert "没有这个文件" in m.unused([])[0].reason


def test_quoted_cells_with_commas_and_newlines_keep_their_line_numbers():
    m = manifest('file,source\n"a.txt","人民日报,海外版"\n"b.txt","多\n行"\nc.txt,2019-99\n')
    assert m.rows["a.txt"].source == "人民日报,海外版" and m.rows["b.txt"].source == "多\n行"
    assert m.lines["c.txt"] == 5


def test_control_characters_are_dropped_and_overlong_values_refused():
    m = manifest("file,source,author\nx.txt,人民\x01日报,作者\n" + "y.txt," + "长" * 101 + ",\n")
    assert m.rows["x.txt"].source == "人民日报"
    assert "超过 100 个字" in m.problems[0].reason
