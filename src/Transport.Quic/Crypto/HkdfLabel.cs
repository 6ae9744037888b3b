using System.Security.Cryptography;
using System.Text;

namespace Transport.Quic.Crypto;

/// <summary>HKDF-Expand-Label from TLS 1.3 (RFC 8446 §7.1), as QUIC uses it for every secret, key, IV and header-protection key.</summary>
public static class HkdfLabel
{
    private static ReadOnlySpan<byte> Prefix => "tls13 "u8;

    /// <summary>
    /// HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length), where HkdfLabel is
    /// uint16 length, opaque label&lt;7..255&gt; = "tls13 " + Label, opaque context&lt;0..255&gt;.
    /// </summary>
    /// <param name="hash">SHA256 or SHA384.</param>
    /// <param name="secret">The pseudo-random key.</param>
    /// <param name="label">The label without the "tls13 " prefix, as ASCII bytes (for example <c>"quic key"u8</c>).</param>
    /// <param name="context">The context (a transcript hash, or empty).</param>
    /// <param name="output">Receives exactly output.Length bytes.</param>
    /// <exception cref="ArgumentException">The label or context is too long, or the output longer than 255 hash lengths.</exception>
    public static void Expand(HashAlgorithmName hash, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> label, ReadOnlySpan<byte> context, Span<byte> output)
    {
        if (Prefix.Length + label.Length > 255) throw new ArgumentException("The label is longer than 249 bytes.", nameof(label));
        if (context.Length > 255) throw new ArgumentException("The context is longer than 255 bytes.", nameof(context));
        if (output.Length > ushort.MaxValue) throw new ArgumentException("The output is too long.", nameof(output));
        Span<byte> info = stackalloc byte[2 + 1 + 255 + 1 + 255];
        int n = 0;
        info[n++] = (byte)(output.Length >> 8);
        info[n++] = (byte)output.Length;
        info[n++] = (byte)(Prefix.Length + label.Length);
        Prefix.CopyTo(info.Slice(n)); n += Prefix.Length;
        label.CopyTo(info.Slice(n)); n += label.Length;
        info[n++] = (byte)context.Length;
        context.CopyTo(info.Slice(n)); n += context.Length;
        int hashLength = hash == HashAlgorithmName.SHA256 ? 32 : hash == HashAlgorithmName.SHA384 ? 48 : 0;
        if (output.IsEmpty || output.Length > hashLength || secret.Length < hashLength || secret.Length > ExpandCache.MaxSecretLength)
        {
            HKDF.Expand(hash, secret, output, info.Slice(0, n));
            return;
        }
        // RFC 5869 §2.3 with one block: T(1) = HMAC-Hash(PRK, info || 0x01), truncated to the output length.
        info[n++] = 0x01;
        IncrementalHash hmac = ExpandCache.For(hash, secret);
        hmac.AppendData(info.Slice(0, n));
        Span<byte> block = stackalloc byte[48];
        hmac.GetHashAndReset(block);
        block.Slice(0, output.Length).CopyTo(output);
        CryptographicOperations.ZeroMemory(block);
    }

    /// <summary>
    /// The keyed HMAC of the last secret this thread expanded. Each QUIC and TLS secret is expanded several times in a
    /// row (quic key, quic iv, quic hp; c/s hs traffic; c/s ap traffic, res master), and an HMAC keyed once costs about
    /// 0.9 us per expansion where a fresh <see cref="HKDF.Expand(HashAlgorithmName, ReadOnlySpan{byte}, Span{byte}, ReadOnlySpan{byte})"/>
    /// costs about 2.1 us (OpenSSL 3: a KDF context, parameters and a digest fetch per call; <c>hsprims</c>). At most one
    /// secret per thread is kept (a copy, zeroed when replaced), no longer than until that thread's next expansion.
    /// </summary>
    private sealed class ExpandCache
    {
        public const int MaxSecretLength = 64;
        [ThreadStatic] private static ExpandCache? t_current;
        private readonly byte[] _secret = new byte[MaxSecretLength];
        private int _secretLength = -1;
        private HashAlgorithmName _hash;
        private IncrementalHash? _hmac;

        public static IncrementalHash For(HashAlgorithmName hash, ReadOnlySpan<byte> secret)
        {
            ExpandCache c = t_current ??= new ExpandCache();
            if (c._hmac is not null && c._hash == hash && secret.Length == c._secretLength &&
                CryptographicOperations.FixedTimeEquals(secret, c._secret.AsSpan(0, c._secretLength)))
                return c._hmac;
            c._hmac?.Dispose();
            c._hmac = null;
            CryptographicOperations.ZeroMemory(c._secret);
            c._secretLength = -1;
            c._hmac = IncrementalHash.CreateHMAC(hash, secret);
            secret.CopyTo(c._secret);
            c._secretLength = secret.Length;
            c._hash = hash;
            return c._hmac;
        }
    }

    /// <summary>HKDF-Expand-Label with a string label, returning a new array (for handshake-time use, not hot paths).</summary>
    public static byte[] Expand(HashAlgorithmName hash, ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> context, int length)
    {
        byte[] output = new byte[length];
        Expand(hash, secret, Encoding.ASCII.GetBytes(label), context, output);
        return output;
    }
}
