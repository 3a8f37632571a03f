"""The lessons as the pipeline reads them: authoring (:mod:`.authoring`), answers in
notebooks (:mod:`.answers`), building-block cells (:mod:`.blocks`) and the demo's sample
submissions (:mod:`.samples`)."""
