namespace Transport.Quic.Tests;

/// <summary>
/// Tests that count the bytes a connection allocates per packet run alone, after the parallel test classes. Stream
/// buffers rent their chunks from one process-wide pool (<c>ChunkedByteStore.Pool</c>); a test class running in
/// parallel can take the arrays a measured connection just returned, and the measured connection's next rent then
/// allocates a fresh chunk on its thread (about 120 KB in one window of a CI run, 2026-11-22). That is the pool doing
/// its job across connections, not a per-packet allocation, so the measurement needs a quiet process.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Per-packet allocation measurements (not in parallel)";
}
