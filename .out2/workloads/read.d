.out2/workloads/read.o: workloads/read.c workloads/workload.h
workloads/workload.h:
