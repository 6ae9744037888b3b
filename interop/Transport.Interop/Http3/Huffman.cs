namespace Transport.Interop.Http3;

/// <summary>
/// The static Huffman code of RFC 7541 Appendix B, used for QPACK string literals (RFC 9204 §4.1.2). The code is
/// canonical: codes of equal length are consecutive in symbol order, and the first code of each length follows the
/// last code of the previous length, so the whole table follows from the 257 code lengths below.
/// </summary>
public static class Huffman
{
    /// <summary>The end-of-string symbol; never valid inside a string (RFC 7541 §5.2).</summary>
    public const int Eos = 256;

    // RFC 7541 Appendix B: code length in bits of each symbol 0..255 and EOS (256).
    private static ReadOnlySpan<byte> CodeLengths =>
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0-15
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16-31
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,         // ' ' .. '/'
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,              // '0' .. '?'
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,                // '@' .. 'O'
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,             // 'P' .. '_'
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,                // '`' .. 'o'
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,            // 'p' .. 127
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128-143
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144-159
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160-175
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176-191
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192-207
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208-223
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224-239
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240-255
        30,                                                             // EOS
    ];

    private const int MaxLength = 30;

    // Encoding: code (right-aligned) and length per symbol.
    private static readonly uint[] s_codes = new uint[257];
    private static readonly byte[] s_lengths = new byte[257];

    // Canonical decoding: per length L, the first code of that length, how many codes have it, and where its symbols
    // start in s_symbolsByCode.
    private static readonly uint[] s_firstCode = new uint[MaxLength + 1];
    private static readonly int[] s_count = new int[MaxLength + 1];
    private static readonly int[] s_firstSymbolIndex = new int[MaxLength + 1];
    private static readonly ushort[] s_symbolsByCode = new ushort[257];

    static Huffman()
    {
        ReadOnlySpan<byte> lengths = CodeLengths;
        for (int s = 0; s < 257; s++) s_count[lengths[s]]++;
        uint code = 0;
        int index = 0;
        for (int len = 1; len <= MaxLength; len++)
        {
            s_firstCode[len] = code;
            s_firstSymbolIndex[len] = index;
            code = (code + (uint)s_count[len]) << 1;
            index += s_count[len];
        }
        var next = (uint[])s_firstCode.Clone();
        var nextIndex = (int[])s_firstSymbolIndex.Clone();
        for (int s = 0; s < 257; s++)
        {
            int len = lengths[s];
            s_lengths[s] = (byte)len;
            s_codes[s] = next[len]++;
            s_symbolsByCode[nextIndex[len]++] = (ushort)s;
        }
    }

    /// <summary>The code of <paramref name="symbol"/> (0..256), right-aligned, and its length in bits.</summary>
    public static (uint Code, int Length) GetCode(int symbol)
    {
        if ((uint)symbol > Eos) throw new ArgumentOutOfRangeException(nameof(symbol), symbol, "A symbol is 0..256.");
        return (s_codes[symbol], s_lengths[symbol]);
    }

    /// <summary>The number of bytes the Huffman encoding of <paramref name="source"/> takes (with padding).</summary>
    public static int GetEncodedLength(ReadOnlySpan<byte> source)
    {
        long bits = 0;
        foreach (byte b in source) bits += s_lengths[b];
        return (int)((bits + 7) >> 3);
    }

    /// <summary>
    /// Huffman-encodes <paramref name="source"/> into <paramref name="destination"/>, padding the last byte with the
    /// most significant bits of EOS (ones), RFC 7541 §5.2. Returns the bytes written; throws when the destination is
    /// shorter than <see cref="GetEncodedLength"/>.
    /// </summary>
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int needed = GetEncodedLength(source);
        if (destination.Length < needed)
            throw new ArgumentException($"The destination holds {destination.Length} bytes; {needed} are needed.", nameof(destination));
        ulong acc = 0;
        int accBits = 0;
        int o = 0;
        foreach (byte b in source)
        {
            acc = (acc << s_lengths[b]) | s_codes[b];
            accBits += s_lengths[b];
            while (accBits >= 8)
            {
                accBits -= 8;
                destination[o++] = (byte)(acc >> accBits);
            }
        }
        if (accBits > 0)
        {
            int pad = 8 - accBits;
            destination[o++] = (byte)((acc << pad) | ((1UL << pad) - 1));
        }
        return o;
    }

    /// <summary>The longest decoding <paramref name="encodedLength"/> bytes can produce (the shortest code is 5 bits).</summary>
    public static int GetMaxDecodedLength(int encodedLength) => (int)(encodedLength * 8L / 5);

    /// <summary>
    /// Decodes a Huffman-encoded string. Returns the number of bytes written, or -1 when the input is invalid: it
    /// contains EOS, or its padding is longer than 7 bits or not a prefix of EOS (RFC 7541 §5.2). The destination must
    /// hold <see cref="GetMaxDecodedLength"/> bytes.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        uint code = 0;
        int len = 0;
        int o = 0;
        foreach (byte b in source)
        {
            for (int bit = 7; bit >= 0; bit--)
            {
                code = (code << 1) | (uint)((b >> bit) & 1);
                len++;
                uint offset = code - s_firstCode[len];
                if (offset < (uint)s_count[len])
                {
                    int symbol = s_symbolsByCode[s_firstSymbolIndex[len] + (int)offset];
                    if (symbol == Eos) return -1;
                    if (o >= destination.Length) return -1;
                    destination[o++] = (byte)symbol;
                    code = 0;
                    len = 0;
                }
                else if (len >= MaxLength)
                {
                    return -1; // cannot happen with a complete code, kept as a guard
                }
            }
        }
        // RFC 7541 §5.2: padding longer than 7 bits, or not the most significant bits of EOS (all ones), is an error.
        if (len > 7) return -1;
        if (code != (1u << len) - 1) return -1;
        return o;
    }
}
