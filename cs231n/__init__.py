"""The cs231n package of the recurrent-network captioning assignment."""
