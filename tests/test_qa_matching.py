"""Normalisation (content/normalise.py) and the n-gram scorer (content/matching.py)."""

from __future__ import annotations

import pytest

from content import normalise as normalise_module
from content.matching import Index
from content.normalise import Lexicon, chinese_number, ngrams, normalise, numerals_to_digits


def plain(text: str) -> str:
    return normalise(text, atomic=False)


@pytest.mark.parametrize(("numeral", "value"), [
    ("五", 5), ("十", 10), ("十二", 12), ("二十", 20), ("二十二", 22), ("三十五", 35),
    ("一百零五", 105), ("两", 2), ("三五", 35),
])
def test_chinese_numbers(numeral: str, value: int) -> None:
    assert chinese_number(numeral) == value


@pytest.mark.parametrize(("text", "expected"), [
    ("三十五岁", "35岁"),
    ("七月十二号", "7月12日"),
    ("两年", "2年"),
    ("一共招二十二人", "一共招22人"),
    ("第一人民医院", "第一人民医院"),  # 第一 is a name, not a number
    ("一下", "一下"),
    ("统一", "统一"),
])
def test_numerals_become_digits_only_where_they_count(text: str, expected: str) -> None:
    assert numerals_to_digits(text) == expected


def test_traditional_full_width_and_filler_fold_to_the_plain_question() -> None:
    assert plain("請問，報名時間是什麼時候？") == plain("报名时间是什么时候")
    assert plain("３５岁以上能报名不") == plain("35岁以上能报名不")
    assert plain("请问一下年龄有什么要求呢") == plain("年龄有什么要求")


def test_domain_synonyms_meet_in_one_form() -> None:
    assert plain("大专") == plain("高职高专") == plain("专科")
    assert plain("规培补贴") == plain("培训补助")
    assert plain("报名网站") == plain("报名链接") == plain("报名网址")
    assert plain("孝感一医") == "孝感第一人民医院"
    # chained: 几个 -> 多少, then 招多少人 -> 名额
    assert plain("招几个人") == plain("招多少人") == "名额"


def test_punctuation_splits_phrases_and_urls_stay_whole() -> None:
    assert plain("报名，截止") == "报名 截止"
    grams = ngrams(plain("网址 fjzlqk.wsglw.net"))
    assert "fjzlqk.wsglw.net" in grams
    assert "址fjzlqk.wsglw.net" not in grams  # no bigram across the space


def test_numbers_match_any_number_before_the_same_unit() -> None:
    assert "#岁" in ngrams(normalise("36岁")) & ngrams(normalise("35周岁以下"))


def test_atomic_terms_do_not_half_match() -> None:
    doctor, assistant = ngrams(normalise("执业医师")), ngrams(normalise("执业助理医师"))
    assert not doctor & assistant
    assert not ngrams(normalise("本科")) & ngrams(normalise("专科"))


def test_normalised_texts_are_remembered_within_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    lexicon = Lexicon.from_data([["报名", "报考"]], ["吗"])
    monkeypatch.setattr(normalise_module, "MEMO_SIZE", 3)
    texts = ["报考吗", "报考时间", "报考条件", "报考地点", "报考吗"]
    assert [normalise(t, lexicon) for t in texts] == ["报名", "报名时间", "报名条件", "报名地点",
                                                       "报名"]
    assert 0 < len(lexicon.memo) <= 3
    # The readable form (atomic=False) is kept apart from the matching form.
    assert normalise("报考吗", lexicon, atomic=False) == "报名"
    assert ("报考吗", False) in lexicon.memo and ("报考吗", True) in lexicon.memo
    # A lexicon's results are its own.
    other = Lexicon.from_data([["报名", "报考"], ["报名时段", "报名时间"]], [])
    assert normalise("报考时间", other) == "报名时段" != normalise("报考时间", lexicon)


def test_lexicon_from_data_rewrites_longest_first() -> None:
    lexicon = Lexicon.from_data([["报名", "报考"], ["报到", "报道"]], ["吗"])
    assert lexicon.rewrite("报考报道") == "报名报到"
    assert normalise("报道了吗", lexicon) == "报到了"


def index_of(**entries: list[str]) -> Index:
    index = Index()
    for key, phrasings in entries.items():
        index.add(key, phrasings)
    return index


@pytest.mark.parametrize("method", ["overlap", "bm25"])
def test_the_index_ranks_the_matching_entry_first(method: str) -> None:
    index = Index(method=method)
    index.add("age", ["年龄有什么要求", "多大年纪可以报"])
    index.add("window", ["报名什么时候截止", "报名时间"])
    index.add("pay", ["培训有补助吗"])
    ranked = index.rank(normalise("请问报名截止是哪天"))
    assert ranked[0][0] == "window"
    assert all(0.0 <= score <= 1.0 for _key, score in ranked)
    assert index.rank(normalise("规培期间有没有补贴"))[0][0] == "pay"


def test_question_frame_words_weigh_little() -> None:
    index = index_of(age=["年龄有什么要求"], pay=["补助是什么"])
    # Sharing only 是什么 with "pay" must not beat sharing 年龄 with "age".
    assert index.rank(normalise("年龄是什么"))[0][0] == "age"


def test_an_unrelated_question_scores_low() -> None:
    index = index_of(age=["年龄有什么要求"], window=["报名什么时候截止"])
    ranked = index.rank(normalise("明天天气怎么样"))
    assert not ranked or ranked[0][1] < 0.3


def test_discriminate_weighs_the_words_that_tell_entries_apart() -> None:
    index = index_of(
        excluded=["已取得执业医师资格证书的人员不在招录之列"],
        allowed=["已取得执业助理医师资格证书的人员属于招录对象"],
    )
    scores = index.discriminate(normalise("拿到执业医师资格证了还能报吗"), ["excluded", "allowed"])
    assert scores["excluded"] > scores["allowed"]


def test_background_words_are_light() -> None:
    plain_index = index_of(policy=["为什么要参加助理全科医生培训"], pay=["培训补助"])
    light_index = Index(background="助理全科医生培训")
    light_index.add("policy", ["为什么要参加助理全科医生培训"])
    light_index.add("pay", ["培训补助"])
    question = normalise("考研和助理全科医生培训哪个好")
    assert dict(light_index.rank(question)).get("policy", 0) < \
        dict(plain_index.rank(question))["policy"]
