"""Chapter 08: training on many processes — data parallelism over MPI and NCCL, ZeRO-1, accumulation.

    mpiexec -n 2 python -m pystory train --batch-size 16 ...      # 2 ranks, 8 windows each
    python -m pystory train --batch-size 16 --accum 2 ...         # 1 process, 2 micro-batches: the same bits
    mpiexec -n 2 python -m pystory train --zero ...               # AdamW's m and v sharded (ZeRO-1)

pystory/dist/comm.py       the communicator: one process, MPI (mpi4py), NCCL (cupy.cuda.nccl)
pystory/dist/parallel.py   one step over ranks x micro-batches; ZeRO-1
pystory/dist/cli.py        a command on every rank: one voice, agreed errors, never a hang
pystory/dist/ring.py       a ring all-reduce on point-to-point sends (the chapter's homework)
pystory/collective.py      the arithmetic inside the collectives (sum_ranks, accumulate), x3 languages
"""
