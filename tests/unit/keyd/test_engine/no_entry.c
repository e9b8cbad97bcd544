/* A shared object that is not a key engine: it exports no edgesec_key_engine_entry. */
int edgesec_not_a_key_engine(void);
int edgesec_not_a_key_engine(void) {
  return 42;
}
