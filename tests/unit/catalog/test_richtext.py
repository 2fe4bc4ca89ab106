from app.catalog.richtext import sanitize_description


def test_formatting_and_pictures_survive():
    html = '<p>好茶<strong>明前</strong></p><ul><li>一</li></ul><img src="/media/p/ab/x/480.jpg" alt="茶" width="480">'
    assert sanitize_description(html) == html


def test_scripts_handlers_styles_and_bad_urls_are_removed():
    dirty = (
        '<p onclick="steal()" style="color:red">hi</p><script>alert(1)</script><iframe src="x"></iframe>'
        '<a href="javascript:alert(1)">x</a><img src="javascript:alert(2)" onerror="alert(3)">'
    )
    clean = sanitize_description(dirty)
    for bad in ("onclick", "style=", "<script", "alert(1)</script>", "<iframe", "javascript:", "onerror"):
        assert bad not in clean
    assert "<p>hi</p>" in clean


def test_links_get_a_safe_rel():
    assert 'rel="noopener nofollow ugc"' in sanitize_description('<a href="https://example.com">x</a>')
