namespace Transport.Interop.Peers;

/// <summary>How <see cref="TestCertificates"/> writes the leaf's private key to <c>priv.key</c>.</summary>
public enum PrivateKeyFormat
{
    /// <summary>
    /// What the interop runner's certs.sh makes (<c>openssl ecparam -genkey</c>): an <c>EC PARAMETERS</c> block naming
    /// prime256v1 followed by a SEC1 <c>EC PRIVATE KEY</c> block.
    /// </summary>
    Sec1WithParameters,

    /// <summary>A single SEC1 <c>EC PRIVATE KEY</c> block.</summary>
    Sec1,

    /// <summary>A single unencrypted PKCS#8 <c>PRIVATE KEY</c> block.</summary>
    Pkcs8,
}
