using System.Net;
using System.Numerics;

namespace Transport.Core.Simulation;

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64: a small, fast generator whose sequence depends on the
/// seed alone, on every platform and runtime version (unlike <see cref="Random"/>, whose algorithm is not a contract).
/// A mutable struct: keep it in a field and call it through that field.
/// </summary>
internal struct SimulationRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public SimulationRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability <paramref name="p"/>; draws nothing when p is 0 or 1.</summary>
    public bool Chance(double p) => p > 0 && (p >= 1 || NextDouble() < p);

    /// <summary>Uniform in [0, <paramref name="bound"/>), bound &gt; 0 (Lemire's multiply-shift, no modulo bias worth noting).</summary>
    public long NextInt64(long bound) => (long)Math.BigMul(NextUInt64(), (ulong)bound, out _);

    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A hash of an endpoint that is the same in every process (FNV-1a over address bytes, scope and port).</summary>
    public static ulong StableHash(IPEndPoint endpoint)
    {
        Span<byte> bytes = stackalloc byte[16];
        endpoint.Address.TryWriteBytes(bytes, out int written);
        ulong h = 0xCBF29CE484222325UL;
        for (int i = 0; i < written; i++) h = (h ^ bytes[i]) * 0x100000001B3UL;
        if (endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            h = (h ^ (ulong)endpoint.Address.ScopeId) * 0x100000001B3UL;
        h = (h ^ (ulong)endpoint.Port) * 0x100000001B3UL;
        return h;
    }
}
