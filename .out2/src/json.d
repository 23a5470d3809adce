.out2/src/json.o: src/json.c src/json.h src/sanitize.h
src/json.h:
src/sanitize.h:
