"""The collected hashtag conversation: storage, search, review, export, import and report."""
