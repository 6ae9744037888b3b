using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Wire;

namespace Transport.Quic.Tests;

/// <summary>FsCheck generators shared by the codec tests.</summary>
internal static class TestGen
{
    /// <summary>Any value a varint can hold, spread over all four encoding lengths.</summary>
    public static readonly Gen<ulong> VarIntValue =
        from a in Gen.Choose(0, int.MaxValue)
        from b in Gen.Choose(0, int.MaxValue)
        from bits in Gen.Elements(0, 1, 6, 7, 13, 14, 15, 29, 30, 31, 40, 61, 62)
        select bits == 0 ? 0UL : ((ulong)a << 33 | (ulong)b << 2 | 3UL) >> (64 - bits);

    /// <summary>Values up to <paramref name="max"/> (inclusive), spread over magnitudes.</summary>
    public static Gen<ulong> UpTo(ulong max) => VarIntValue.Select(v => max == VarInt.MaxValue ? v : v % (max + 1));

    public static Gen<byte[]> Bytes(int min, int max) =>
        from n in Gen.Choose(min, max)
        from seed in Gen.Choose(0, int.MaxValue)
        select RandomBytes(seed, n);

    public static byte[] RandomBytes(int seed, int n)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    public static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    public static void Check<T>(Gen<T> gen, Func<T, bool> property, int maxTest = 300) =>
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(maxTest), Prop.ForAll(gen.ToArbitrary(), property));
}
