"""Pages we render: what a page made from a notebook may contain (:mod:`.safe_html`),
offline math (:mod:`.mathjax`), the self-study site (:mod:`.site`), and the nbconvert
templates (``templates/``)."""
