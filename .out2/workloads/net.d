.out2/workloads/net.o: workloads/net.c workloads/workload.h
workloads/workload.h:
