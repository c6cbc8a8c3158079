"""The stream processor (faust-streaming): reports in, progress figures out."""
