"""The CAPTCHA image and its answer check."""

import io

from django.core.management import call_command
from PIL import Image

from xiaoneng.portal import captcha


def test_the_image_is_a_png_of_the_announced_size():
    png = captcha.render_png("K7PXM")
    with Image.open(io.BytesIO(png)) as image:
        assert (image.format, image.size) == ("PNG", (captcha.WIDTH, captcha.HEIGHT))
    assert captcha.data_uri(png).startswith("data:image/png;base64,iVBORw0KGgo")


def test_two_images_of_one_answer_differ():
    assert captcha.render_png("K7PXM") != captcha.render_png("K7PXM")


def test_answers_are_random_from_the_alphabet_without_look_alikes():
    answers = {captcha.new_answer() for _ in range(50)}
    assert len(answers) > 45
    assert all(len(a) == captcha.LENGTH and set(a) <= set(captcha.ALPHABET) for a in answers)
    assert not set("0O1IL2Z5S8B") & set(captcha.ALPHABET)


def test_the_answer_is_checked_without_case_or_spaces_and_only_for_its_challenge():
    stored = captcha.answer_hash("key-1", "K7PXM")
    assert "K7PXM" not in stored
    assert captcha.answer_matches("key-1", " k7p xm ", stored)
    assert not captcha.answer_matches("key-2", "K7PXM", stored)
    assert not captcha.answer_matches("key-1", "K7PXN", stored)


def test_the_prune_command_reports_what_it_deleted(db, capsys):
    call_command("portal_prune")
    assert capsys.readouterr().out == ("Deleted 0 CAPTCHA challenges and 0 rate-limit events.\n")
