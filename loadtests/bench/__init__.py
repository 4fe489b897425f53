"""`lgsp bench`: the bus path measured with a cheap load generator, against its raw hops, same run."""
