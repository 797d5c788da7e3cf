"""pystory.data: the story corpus and the pipeline that feeds the models.

    storyworld  a story grammar: generate_stories, check_story, corpus_stats
    corpus      the TinyStories text format: write_corpus, read_corpus, iter_corpus
    shards      tokenized corpora on disk: write_shard, read_shard (np.memmap)
    loader      BatchLoader: (B, T+1) token windows for training
    cli         python -m pystory data ...

Submodules are imported on use, so `import pystory.data` stays cheap.
"""
