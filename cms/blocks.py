"""StreamField blocks for the public pages: few and plain, so editors cannot break the layout."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock


class FeaturedSectionBlock(blocks.StructBlock):
    """A card on the home page: what the platform offers, optionally linking to a page."""

    heading = blocks.CharBlock(label=_("heading"), max_length=60)
    text = blocks.TextBlock(label=_("text"), max_length=300)
    page = blocks.PageChooserBlock(label=_("link to page"), required=False)

    class Meta:
        icon = "doc-full"
        label = _("Featured section")
        template = "cms/blocks/featured_section.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        label=_("heading"), form_classname="title", template="cms/blocks/heading.html"
    )
    paragraph = blocks.RichTextBlock(
        label=_("paragraph"), features=["bold", "italic", "link", "ol", "ul", "document-link"]
    )
    image = ImageBlock(label=_("image"), template="cms/blocks/image.html")
    quote = blocks.BlockQuoteBlock(label=_("quote"))


class CallDocumentBlock(blocks.StructBlock):
    """A downloadable document of a call (guidelines, budget template, …)."""

    document = DocumentChooserBlock(label=_("document"))
    title = blocks.CharBlock(
        label=_("link text"),
        max_length=120,
        required=False,
        help_text=_("Leave empty to use the document's title."),
    )

    class Meta:
        icon = "doc-full"
        label = _("Document")
