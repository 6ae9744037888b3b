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
        HKDF.Expand(hash, secret, output, info.Slice(0, n));
    }

    /// <summary>HKDF-Expand-Label with a string label, returning a new array (for handshake-time use, not hot paths).</summary>
    public static byte[] Expand(HashAlgorithmName hash, ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> context, int length)
    {
        byte[] output = new byte[length];
        Expand(hash, secret, Encoding.ASCII.GetBytes(label), context, output);
        return output;
    }
}
