.out2/src/log.o: src/log.c src/log.h src/json.h src/output.h
src/log.h:
src/json.h:
src/output.h:
