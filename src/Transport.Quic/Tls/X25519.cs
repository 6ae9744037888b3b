using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Transport.Quic.Tls;

/// <summary>
/// The X25519 function of RFC 7748 §5: scalar multiplication on the Montgomery curve Curve25519 with the u-coordinate
/// ladder, over GF(2^255 - 19) in radix 2^51 (five 51-bit limbs in <see cref="ulong"/>s, 64x64 -> 128-bit products with
/// <see cref="Math.BigMul(ulong, ulong, out ulong)"/>).
/// </summary>
/// <remarks>
/// Constant time: the work done and every memory address touched depend only on public loop counters, never on the
/// scalar or the point (the ladder swaps with masks, every reduction runs all its carries, the final reduction is
/// branch-free). Each product is taken on factors pre-shifted by 13 bits in all, so its 128-bit result splits at bit 51 for free and no 128-bit carry is ever tested.
/// Replaces BouncyCastle's X25519 on the handshake path because it is faster (see the Tls README, Decisions).
/// </remarks>
[SkipLocalsInit]
internal static partial class X25519
{
    /// <summary>Bytes of a scalar (private key).</summary>
    public const int ScalarSize = 32;

    /// <summary>Bytes of a u-coordinate (public key, shared secret).</summary>
    public const int PointSize = 32;

    private const ulong Mask51 = (1UL << 51) - 1;

    // (A - 2) / 4 for Curve25519, A = 486662 (RFC 7748 §5).
    private const ulong A24 = 121665;

    /// <summary>
    /// X25519(scalar, u) (RFC 7748 §5): clamps the scalar, ignores the top bit of u, accepts non-canonical u. Returns
    /// false when the result is all zeros (a small-order point; RFC 8446 §7.4.2 and RFC 7748 §6.1 say to reject it);
    /// <paramref name="result"/> is written either way.
    /// </summary>
    public static bool ScalarMult(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> u, Span<byte> result)
    {
        if (scalar.Length != ScalarSize) throw new ArgumentException($"An X25519 scalar is {ScalarSize} bytes.", nameof(scalar));
        if (u.Length != PointSize) throw new ArgumentException($"An X25519 u-coordinate is {PointSize} bytes.", nameof(u));
        if (result.Length < PointSize) throw new ArgumentException($"The result needs {PointSize} bytes.", nameof(result));
        Decode(u, out Fe x1);
        Ladder(scalar, in x1, result);
        int any = 0;
        for (int i = 0; i < PointSize; i++) any |= result[i];
        return any != 0;
    }

    /// <summary>X25519(scalar, 9) with the ladder: the slow way to a public key, kept to check and measure <see cref="ScalarMultBase"/>.</summary>
    internal static void ScalarMultBaseLadder(ReadOnlySpan<byte> scalar, Span<byte> publicKey)
    {
        if (scalar.Length != ScalarSize) throw new ArgumentException($"An X25519 scalar is {ScalarSize} bytes.", nameof(scalar));
        if (publicKey.Length < PointSize) throw new ArgumentException($"The public key needs {PointSize} bytes.", nameof(publicKey));
        var nine = new Fe { L0 = 9 };
        Ladder(scalar, in nine, publicKey);
    }

    private static void Ladder(ReadOnlySpan<byte> scalar, in Fe x1, Span<byte> result)
    {
        // RFC 7748 §5: decodeScalar25519 (clamping).
        Span<byte> k = stackalloc byte[ScalarSize];
        scalar.CopyTo(k);
        k[0] &= 248;
        k[31] &= 127;
        k[31] |= 64;

        var x2 = new Fe { L0 = 1 };
        var z2 = default(Fe);
        Fe x3 = x1;
        var z3 = new Fe { L0 = 1 };
        ulong swap = 0;
        Fe a, aa, b, bb, e, c, d, da, cb, t;
        for (int i = 254; i >= 0; i--)
        {
            ulong bit = (ulong)(k[i >> 3] >> (i & 7)) & 1;
            swap ^= bit;
            CSwap(swap, ref x2, ref x3);
            CSwap(swap, ref z2, ref z3);
            swap = bit;

            Add(out a, in x2, in z2);
            Square(out aa, in a);
            Sub(out b, in x2, in z2);
            Square(out bb, in b);
            Sub(out e, in aa, in bb);
            Add(out c, in x3, in z3);
            Sub(out d, in x3, in z3);
            Mul(out da, in d, in a);
            Mul(out cb, in c, in b);
            Add(out t, in da, in cb);
            Square(out x3, in t);
            Sub(out t, in da, in cb);
            Square(out t, in t);
            Mul(out z3, in x1, in t);
            Mul(out x2, in aa, in bb);
            MulSmall(out t, in e, A24);
            Add(out t, in aa, in t);
            Mul(out z2, in e, in t);
        }
        CSwap(swap, ref x2, ref x3);
        CSwap(swap, ref z2, ref z3);

        Invert(out Fe zi, in z2);
        Mul(out Fe r, in x2, in zi);
        Encode(in r, result);
        k.Clear();
    }

    /// <summary>A field element: value = L0 + 2^51 L1 + 2^102 L2 + 2^153 L3 + 2^204 L4 (mod 2^255 - 19).</summary>
    private struct Fe
    {
        public ulong L0, L1, L2, L3, L4;
    }

    /// <summary>Carries once so that every limb is below 2^51 + 2^15 (for sums that feed a subtraction).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Carry(ref Fe a)
    {
        ulong c0 = a.L0, c1 = a.L1, c2 = a.L2, c3 = a.L3, c4 = a.L4;
        c1 += c0 >> 51; c0 &= Mask51;
        c2 += c1 >> 51; c1 &= Mask51;
        c3 += c2 >> 51; c2 &= Mask51;
        c4 += c3 >> 51; c3 &= Mask51;
        c0 += 19 * (c4 >> 51); c4 &= Mask51;
        c1 += c0 >> 51; c0 &= Mask51;
        a.L0 = c0; a.L1 = c1; a.L2 = c2; a.L3 = c3; a.L4 = c4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CSwap(ulong swap, ref Fe a, ref Fe b)
    {
        ulong mask = 0UL - swap;
        ulong t;
        t = mask & (a.L0 ^ b.L0); a.L0 ^= t; b.L0 ^= t;
        t = mask & (a.L1 ^ b.L1); a.L1 ^= t; b.L1 ^= t;
        t = mask & (a.L2 ^ b.L2); a.L2 ^= t; b.L2 ^= t;
        t = mask & (a.L3 ^ b.L3); a.L3 ^= t; b.L3 ^= t;
        t = mask & (a.L4 ^ b.L4); a.L4 ^= t; b.L4 ^= t;
    }

    // Inputs of Add/Sub have limbs below 2^51 + 2^15 (outputs of Mul/Square/MulSmall, or decoded); their outputs stay
    // below 2^53, which Mul/Square/MulSmall accept.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(out Fe r, in Fe a, in Fe b)
    {
        r.L0 = a.L0 + b.L0;
        r.L1 = a.L1 + b.L1;
        r.L2 = a.L2 + b.L2;
        r.L3 = a.L3 + b.L3;
        r.L4 = a.L4 + b.L4;
    }

    /// <summary>a - b + 2p, limb by limb, so no limb goes negative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sub(out Fe r, in Fe a, in Fe b)
    {
        const ulong TwoP0 = 2 * ((1UL << 51) - 19);
        const ulong TwoPi = 2 * ((1UL << 51) - 1);
        r.L0 = a.L0 + TwoP0 - b.L0;
        r.L1 = a.L1 + TwoPi - b.L1;
        r.L2 = a.L2 + TwoPi - b.L2;
        r.L3 = a.L3 + TwoPi - b.L3;
        r.L4 = a.L4 + TwoPi - b.L4;
    }

    /// <summary>
    /// Adds x*y to a coefficient kept as two sums: the low 51 bits of each product, and the bits above (x*y &gt;&gt; 51),
    /// which belong to the next coefficient. The factors come pre-shifted, <paramref name="a"/> = x &lt;&lt; 11 and
    /// <paramref name="b"/> = y &lt;&lt; 2, so the 128-bit product is x*y*2^13: its high word is x*y &gt;&gt; 51 and its low
    /// word is (x*y mod 2^51) &lt;&lt; 13. With x below 2^53 and y below 2^58.3 (a limb times at most 38) both fit in 64
    /// bits, and each sum of five terms stays below 2^62.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Acc(ulong a, ulong b, ref ulong low, ref ulong high)
    {
        if (Bmi2.X64.IsSupported)
        {
            high += Bmi2.X64.MultiplyNoFlags(a, b);
            low += (a * b) >> 13;
        }
        else
        {
            high += Math.BigMul(a, b, out ulong lo);
            low += lo >> 13;
        }
    }

    /// <summary>
    /// Coefficient k of a product is l_k + h_(k-1); h_4 belongs at 2^255 = 19 (mod p). Ends with limbs below 2^51
    /// except L1 below 2^51 + 2^15.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reduce(out Fe r, ulong l0, ulong l1, ulong l2, ulong l3, ulong l4, ulong h0, ulong h1, ulong h2, ulong h3, ulong h4)
    {
        ulong c0 = l0 + 19 * h4;
        ulong c1 = l1 + h0;
        ulong c2 = l2 + h1;
        ulong c3 = l3 + h2;
        ulong c4 = l4 + h3;
        c1 += c0 >> 51; c0 &= Mask51;
        c2 += c1 >> 51; c1 &= Mask51;
        c3 += c2 >> 51; c2 &= Mask51;
        c4 += c3 >> 51; c3 &= Mask51;
        c0 += 19 * (c4 >> 51); c4 &= Mask51;
        c1 += c0 >> 51; c0 &= Mask51;
        r.L0 = c0; r.L1 = c1; r.L2 = c2; r.L3 = c3; r.L4 = c4;
    }

    private static void Mul(out Fe r, in Fe a, in Fe b)
    {
        ulong a0 = a.L0 << 11, a1 = a.L1 << 11, a2 = a.L2 << 11, a3 = a.L3 << 11, a4 = a.L4 << 11;
        ulong b0 = b.L0 << 2, b1 = b.L1 << 2, b2 = b.L2 << 2, b3 = b.L3 << 2, b4 = b.L4 << 2;
        ulong b1x = 19 * b1, b2x = 19 * b2, b3x = 19 * b3, b4x = 19 * b4;
        ulong l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0;
        // Terms a_i b_j with i + j >= 5 wrap around times 19 (2^255 = 19 mod p).
        Acc(a0, b0, ref l0, ref h0); Acc(a1, b4x, ref l0, ref h0); Acc(a2, b3x, ref l0, ref h0); Acc(a3, b2x, ref l0, ref h0); Acc(a4, b1x, ref l0, ref h0);
        Acc(a0, b1, ref l1, ref h1); Acc(a1, b0, ref l1, ref h1); Acc(a2, b4x, ref l1, ref h1); Acc(a3, b3x, ref l1, ref h1); Acc(a4, b2x, ref l1, ref h1);
        Acc(a0, b2, ref l2, ref h2); Acc(a1, b1, ref l2, ref h2); Acc(a2, b0, ref l2, ref h2); Acc(a3, b4x, ref l2, ref h2); Acc(a4, b3x, ref l2, ref h2);
        Acc(a0, b3, ref l3, ref h3); Acc(a1, b2, ref l3, ref h3); Acc(a2, b1, ref l3, ref h3); Acc(a3, b0, ref l3, ref h3); Acc(a4, b4x, ref l3, ref h3);
        Acc(a0, b4, ref l4, ref h4); Acc(a1, b3, ref l4, ref h4); Acc(a2, b2, ref l4, ref h4); Acc(a3, b1, ref l4, ref h4); Acc(a4, b0, ref l4, ref h4);
        Reduce(out r, l0, l1, l2, l3, l4, h0, h1, h2, h3, h4);
    }

    private static void Square(out Fe r, in Fe a)
    {
        ulong x0 = a.L0, x1 = a.L1, x2 = a.L2, x3 = a.L3, x4 = a.L4;
        ulong a0 = x0 << 11, a1 = x1 << 11, a2 = x2 << 11, a3 = x3 << 11, a4 = x4 << 11;
        // Second factors (shifted by 2): y, 2y, 19y, 38y.
        ulong s0 = x0 << 2, s1 = x1 << 2, s2 = x2 << 2;
        ulong d1 = x1 << 3, d2 = x2 << 3, d3 = x3 << 3, d4 = x4 << 3;
        ulong t3 = 19 * (x3 << 2), t4 = 19 * (x4 << 2);
        ulong u3 = 38 * (x3 << 2), u4 = 38 * (x4 << 2);
        ulong l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0;
        Acc(a0, s0, ref l0, ref h0); Acc(a1, u4, ref l0, ref h0); Acc(a2, u3, ref l0, ref h0);   // a0^2 + 38 a1 a4 + 38 a2 a3
        Acc(a0, d1, ref l1, ref h1); Acc(a2, u4, ref l1, ref h1); Acc(a3, t3, ref l1, ref h1);   // 2 a0 a1 + 38 a2 a4 + 19 a3^2
        Acc(a0, d2, ref l2, ref h2); Acc(a1, s1, ref l2, ref h2); Acc(a3, u4, ref l2, ref h2);   // 2 a0 a2 + a1^2 + 38 a3 a4
        Acc(a0, d3, ref l3, ref h3); Acc(a1, d2, ref l3, ref h3); Acc(a4, t4, ref l3, ref h3);   // 2 a0 a3 + 2 a1 a2 + 19 a4^2
        Acc(a0, d4, ref l4, ref h4); Acc(a1, d3, ref l4, ref h4); Acc(a2, s2, ref l4, ref h4);   // 2 a0 a4 + 2 a1 a3 + a2^2
        Reduce(out r, l0, l1, l2, l3, l4, h0, h1, h2, h3, h4);
    }

    private static void SquareTimes(out Fe r, in Fe a, int n)
    {
        Square(out r, in a);
        for (int i = 1; i < n; i++) Square(out r, in r);
    }

    private static void MulSmall(out Fe r, in Fe a, ulong s)
    {
        ulong l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0;
        s <<= 2;
        Acc(a.L0 << 11, s, ref l0, ref h0);
        Acc(a.L1 << 11, s, ref l1, ref h1);
        Acc(a.L2 << 11, s, ref l2, ref h2);
        Acc(a.L3 << 11, s, ref l3, ref h3);
        Acc(a.L4 << 11, s, ref l4, ref h4);
        Reduce(out r, l0, l1, l2, l3, l4, h0, h1, h2, h3, h4);
    }

    /// <summary>z^(p-2) = z^(2^255 - 21) = 1/z (Fermat), with 254 squarings and 11 multiplications.</summary>
    private static void Invert(out Fe r, in Fe z)
    {
        Square(out Fe z2, in z);                   // 2
        SquareTimes(out Fe t, in z2, 2);           // 8
        Mul(out Fe z9, in t, in z);                // 9
        Mul(out Fe z11, in z9, in z2);             // 11
        Square(out t, in z11);                     // 22
        Mul(out Fe z5_0, in t, in z9);             // 2^5 - 1
        SquareTimes(out t, in z5_0, 5);
        Mul(out Fe z10_0, in t, in z5_0);          // 2^10 - 1
        SquareTimes(out t, in z10_0, 10);
        Mul(out Fe z20_0, in t, in z10_0);         // 2^20 - 1
        SquareTimes(out t, in z20_0, 20);
        Mul(out t, in t, in z20_0);                // 2^40 - 1
        SquareTimes(out t, in t, 10);
        Mul(out Fe z50_0, in t, in z10_0);         // 2^50 - 1
        SquareTimes(out t, in z50_0, 50);
        Mul(out Fe z100_0, in t, in z50_0);        // 2^100 - 1
        SquareTimes(out t, in z100_0, 100);
        Mul(out t, in t, in z100_0);               // 2^200 - 1
        SquareTimes(out t, in t, 50);
        Mul(out t, in t, in z50_0);                // 2^250 - 1
        SquareTimes(out t, in t, 5);               // 2^255 - 2^5
        Mul(out r, in t, in z11);                  // 2^255 - 21
    }

    /// <summary>RFC 7748 §5 decodeUCoordinate: little-endian, the top bit masked off; values of p and above are kept as they are.</summary>
    private static void Decode(ReadOnlySpan<byte> u, out Fe r)
    {
        ulong w0 = BinaryPrimitives.ReadUInt64LittleEndian(u);
        ulong w1 = BinaryPrimitives.ReadUInt64LittleEndian(u.Slice(8));
        ulong w2 = BinaryPrimitives.ReadUInt64LittleEndian(u.Slice(16));
        ulong w3 = BinaryPrimitives.ReadUInt64LittleEndian(u.Slice(24)) & 0x7FFF_FFFF_FFFF_FFFF;
        r.L0 = w0 & Mask51;
        r.L1 = ((w0 >> 51) | (w1 << 13)) & Mask51;
        r.L2 = ((w1 >> 38) | (w2 << 26)) & Mask51;
        r.L3 = ((w2 >> 25) | (w3 << 39)) & Mask51;
        r.L4 = w3 >> 12;
    }

    /// <summary>The canonical little-endian encoding (fully reduced below p), without branches.</summary>
    private static void Encode(in Fe a, Span<byte> output)
    {
        ulong h0 = a.L0, h1 = a.L1, h2 = a.L2, h3 = a.L3, h4 = a.L4;
        // Carry so that every limb is below 2^51 and the value below 2^255 + 19 * 2^k (small).
        h1 += h0 >> 51; h0 &= Mask51;
        h2 += h1 >> 51; h1 &= Mask51;
        h3 += h2 >> 51; h2 &= Mask51;
        h4 += h3 >> 51; h3 &= Mask51;
        h0 += 19 * (h4 >> 51); h4 &= Mask51;
        h1 += h0 >> 51; h0 &= Mask51;
        h2 += h1 >> 51; h1 &= Mask51;
        h3 += h2 >> 51; h2 &= Mask51;
        h4 += h3 >> 51; h3 &= Mask51;
        h0 += 19 * (h4 >> 51); h4 &= Mask51;
        // Now 0 <= h < 2^255. h >= p exactly when h + 19 >= 2^255: q is that carry out of bit 255.
        ulong q = (h0 + 19) >> 51;
        q = (h1 + q) >> 51;
        q = (h2 + q) >> 51;
        q = (h3 + q) >> 51;
        q = (h4 + q) >> 51;
        // h - q*p = h + 19q - q*2^255: add 19q, carry, and drop bit 255.
        h0 += 19 * q;
        h1 += h0 >> 51; h0 &= Mask51;
        h2 += h1 >> 51; h1 &= Mask51;
        h3 += h2 >> 51; h2 &= Mask51;
        h4 += h3 >> 51; h3 &= Mask51;
        h4 &= Mask51;
        BinaryPrimitives.WriteUInt64LittleEndian(output, h0 | (h1 << 51));
        BinaryPrimitives.WriteUInt64LittleEndian(output.Slice(8), (h1 >> 13) | (h2 << 38));
        BinaryPrimitives.WriteUInt64LittleEndian(output.Slice(16), (h2 >> 26) | (h3 << 25));
        BinaryPrimitives.WriteUInt64LittleEndian(output.Slice(24), (h3 >> 39) | (h4 << 12));
    }
}
