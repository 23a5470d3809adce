.out2/workloads/util.o: workloads/util.c workloads/workload.h
workloads/workload.h:
