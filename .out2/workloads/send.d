.out2/workloads/send.o: workloads/send.c workloads/workload.h
workloads/workload.h:
