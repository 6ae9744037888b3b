using System.Runtime.CompilerServices;

namespace Transport.Quic.Tls;

/// <summary>
/// The fixed-base half of <see cref="X25519"/>: a public key X25519(k, 9) computed on the birationally equivalent
/// twisted Edwards curve edwards25519 (RFC 7748 §4.1, RFC 8032 §5.1: -x^2 + y^2 = 1 + d x^2 y^2, base point B with
/// y = 4/5, which maps to u = 9), as a sum of precomputed multiples of B, then mapped back with u = (1 + y) / (1 - y).
/// </summary>
/// <remarks>
/// The scalar is recoded in 64 signed radix-16 digits e_i in [-8, 8]; k B = sum e_i (16^i B). A table holds
/// m 16^i B for m = 1..8 and every i (512 points as (y + x, y - x, 2 d x y), built once on first use, about 60 KB);
/// each step reads all 8 entries of its row and keeps the wanted one with masks, then negates it with masks when the
/// digit is negative, so neither addresses nor branches depend on the scalar. The additions use the unified (complete)
/// extended-coordinate formulas of Hisil, Wong, Carter and Dawson (2008), valid for every pair of points on this
/// curve, the neutral element included. 64 mixed additions and one inversion replace the ladder's 255 steps.
/// </remarks>
internal static partial class X25519
{
    private const int Rows = 64;
    private const int PerRow = 8;
    private const int EntryLimbs = 15;

    private static ulong[]? s_baseTable;

    /// <summary>X25519(scalar, 9): the public key of <paramref name="scalar"/> (RFC 7748 §6.1).</summary>
    public static void ScalarMultBase(ReadOnlySpan<byte> scalar, Span<byte> publicKey)
    {
        if (scalar.Length != ScalarSize) throw new ArgumentException($"An X25519 scalar is {ScalarSize} bytes.", nameof(scalar));
        if (publicKey.Length < PointSize) throw new ArgumentException($"The public key needs {PointSize} bytes.", nameof(publicKey));
        ulong[] table = LazyInitializer.EnsureInitialized(ref s_baseTable, BuildBaseTable);

        Span<byte> k = stackalloc byte[ScalarSize];
        scalar.CopyTo(k);
        k[0] &= 248;
        k[31] &= 127;
        k[31] |= 64;
        // Signed radix 16: k = sum e_i 16^i with e_i in [-8, 7] for i < 63; the clamped k is below 2^255, so e_63 <= 8.
        Span<sbyte> e = stackalloc sbyte[Rows];
        for (int i = 0; i < 32; i++)
        {
            e[2 * i] = (sbyte)(k[i] & 15);
            e[2 * i + 1] = (sbyte)(k[i] >> 4);
        }
        int carry = 0;
        for (int i = 0; i < Rows - 1; i++)
        {
            int v = e[i] + carry;
            carry = (v + 8) >> 4;
            e[i] = (sbyte)(v - (carry << 4));
        }
        e[Rows - 1] = (sbyte)(e[Rows - 1] + carry);
        k.Clear();

        // The neutral element (0, 1) in extended coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, x y = T/Z.
        var p = new Ext { Y = new Fe { L0 = 1 }, Z = new Fe { L0 = 1 } };
        for (int i = 0; i < Rows; i++)
        {
            Select(table, i, e[i], out Pre q);
            AddMixed(ref p, in q);
        }
        e.Clear();

        // u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y) (RFC 7748 §4.1).
        Add(out Fe num, in p.Z, in p.Y);
        Sub(out Fe den, in p.Z, in p.Y);
        Invert(out Fe inv, in den);
        Mul(out Fe u, in num, in inv);
        Encode(in u, publicKey);
    }

    /// <summary>A point in extended coordinates.</summary>
    private struct Ext
    {
        public Fe X, Y, Z, T;
    }

    /// <summary>An affine point ready for mixed addition: (y + x, y - x, 2 d x y).</summary>
    private struct Pre
    {
        public Fe YPlusX, YMinusX, T2d;
    }

    /// <summary>
    /// q = e 16^i B for e in [-8, 8]: reads every entry of row i, keeps entry |e| (or the neutral element for 0) with
    /// masks, and negates it with masks when e &lt; 0 (-(x, y) = (-x, y): swap y + x with y - x, negate 2 d x y).
    /// </summary>
    private static void Select(ulong[] table, int row, int e, out Pre q)
    {
        long sign = e >> 31; // -1 or 0
        ulong abs = (ulong)((e ^ sign) - sign);
        Span<ulong> r = stackalloc ulong[EntryLimbs];
        r.Clear();
        r[0] = 1; // y + x = 1
        r[5] = 1; // y - x = 1
        ReadOnlySpan<ulong> rowData = table.AsSpan(row * PerRow * EntryLimbs, PerRow * EntryLimbs);
        for (int m = 1; m <= PerRow; m++)
        {
            // All ones when abs == m, else zero; abs ^ m is below 16, so (abs ^ m) - 1 has its top bit set only for 0.
            ulong mask = 0UL - (((abs ^ (ulong)m) - 1) >> 63);
            ReadOnlySpan<ulong> entry = rowData.Slice((m - 1) * EntryLimbs, EntryLimbs);
            for (int j = 0; j < EntryLimbs; j++) r[j] ^= mask & (r[j] ^ entry[j]);
        }
        q.YPlusX = new Fe { L0 = r[0], L1 = r[1], L2 = r[2], L3 = r[3], L4 = r[4] };
        q.YMinusX = new Fe { L0 = r[5], L1 = r[6], L2 = r[7], L3 = r[8], L4 = r[9] };
        var t = new Fe { L0 = r[10], L1 = r[11], L2 = r[12], L3 = r[13], L4 = r[14] };
        ulong neg = (ulong)sign & 1;
        CSwap(neg, ref q.YPlusX, ref q.YMinusX);
        var zero = default(Fe);
        Sub(out Fe minusT, in zero, in t);
        Carry(ref minusT);
        CSwap(neg, ref t, ref minusT);
        q.T2d = t;
    }

    /// <summary>p += q with q affine (Z = 1) (HWCD 2008, "madd" for a = -1): 7 multiplications.</summary>
    private static void AddMixed(ref Ext p, in Pre q)
    {
        Sub(out Fe t, in p.Y, in p.X);
        Mul(out Fe a, in t, in q.YMinusX);
        Add(out t, in p.Y, in p.X);
        Mul(out Fe b, in t, in q.YPlusX);
        Mul(out Fe c, in p.T, in q.T2d);
        Add(out Fe d, in p.Z, in p.Z);
        Carry(ref d);
        Finish(ref p, in a, in b, in c, in d);
    }

    /// <summary>p += q, both extended (HWCD 2008, "add" for a = -1, k = 2d): for building the table only.</summary>
    private static void AddFull(ref Ext p, in Ext q, in Fe d2)
    {
        Sub(out Fe t, in p.Y, in p.X);
        Sub(out Fe t2, in q.Y, in q.X);
        Mul(out Fe a, in t, in t2);
        Add(out t, in p.Y, in p.X);
        Add(out t2, in q.Y, in q.X);
        Mul(out Fe b, in t, in t2);
        Mul(out t, in p.T, in q.T);
        Mul(out Fe c, in t, in d2);
        Mul(out t, in p.Z, in q.Z);
        Add(out Fe d, in t, in t);
        Carry(ref d);
        Finish(ref p, in a, in b, in c, in d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(ref Ext p, in Fe a, in Fe b, in Fe c, in Fe d)
    {
        Sub(out Fe e, in b, in a);
        Sub(out Fe f, in d, in c);
        Add(out Fe g, in d, in c);
        Add(out Fe h, in b, in a);
        Mul(out p.X, in e, in f);
        Mul(out p.Y, in g, in h);
        Mul(out p.T, in e, in h);
        Mul(out p.Z, in f, in g);
    }

    /// <summary>Rows of m 16^i B (m = 1..8), made affine with one shared inversion (Montgomery's trick).</summary>
    private static ulong[] BuildBaseTable()
    {
        // d = -121665 / 121666 (RFC 8032 §5.1).
        Invert(out Fe inv, new Fe { L0 = 121666 });
        MulSmall(out Fe t, in inv, 121665);
        var zero = default(Fe);
        Sub(out Fe d, in zero, in t);
        Carry(ref d);
        Add(out Fe d2, in d, in d);
        Carry(ref d2);

        // B: y = 4/5, x the positive (even) root given in RFC 8032 §5.1.
        Invert(out inv, new Fe { L0 = 5 });
        MulSmall(out Fe y, in inv, 4);
        // 15112221349535400772501151409588531511454012693041857206046113283949847762202 in hex, big-endian.
        byte[] xBytes = Convert.FromHexString("216936D3CD6E53FEC0A4E231FDD6DC5C692CC7609525A7B2C9562D608F25D51A");
        Array.Reverse(xBytes);
        Decode(xBytes, out Fe x);
        var basePoint = new Ext { X = x, Y = y, Z = new Fe { L0 = 1 } };
        Mul(out basePoint.T, in x, in y);

        var points = new Ext[Rows * PerRow];
        Ext row = basePoint; // 16^i B
        for (int i = 0; i < Rows; i++)
        {
            Ext multiple = row;
            for (int m = 0; m < PerRow; m++)
            {
                points[i * PerRow + m] = multiple;
                AddFull(ref multiple, in row, in d2);
            }
            for (int s = 0; s < 4; s++)
            {
                Ext copy = row;
                AddFull(ref row, in copy, in d2);
            }
        }

        // Batch inversion of every Z: prefix products, one inversion, then walk back.
        var prefix = new Fe[points.Length];
        Fe acc = new Fe { L0 = 1 };
        for (int i = 0; i < points.Length; i++)
        {
            prefix[i] = acc;
            Mul(out acc, in acc, in points[i].Z);
        }
        Invert(out Fe accInv, in acc);
        var table = new ulong[points.Length * EntryLimbs];
        for (int i = points.Length - 1; i >= 0; i--)
        {
            Mul(out Fe zInv, in accInv, in prefix[i]);
            Mul(out accInv, in accInv, in points[i].Z);
            Mul(out Fe px, in points[i].X, in zInv);
            Mul(out Fe py, in points[i].Y, in zInv);
            Add(out Fe yPlusX, in py, in px);
            Carry(ref yPlusX);
            Sub(out Fe yMinusX, in py, in px);
            Carry(ref yMinusX);
            Mul(out Fe xy, in px, in py);
            Mul(out Fe t2d, in xy, in d2);
            Span<ulong> entry = table.AsSpan(i * EntryLimbs, EntryLimbs);
            Store(in yPlusX, entry);
            Store(in yMinusX, entry.Slice(5));
            Store(in t2d, entry.Slice(10));
        }
        return table;

        static void Store(in Fe f, Span<ulong> to)
        {
            to[0] = f.L0; to[1] = f.L1; to[2] = f.L2; to[3] = f.L3; to[4] = f.L4;
        }
    }
}
