"""What goes out to the public: the transparency register, the DCAT catalogue, the ontology page."""
