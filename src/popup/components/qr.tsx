import { encode } from 'uqr'

/**
 * A QR code as SVG squares, black on white whatever the theme (phone
 * cameras need the contrast). Pass BOLT11 invoices upper-cased: QR's
 * alphanumeric mode makes their code smaller; URIs with query values stay
 * as they are.
 */
export function Qr(p: { text: string; label: string; testId: string }) {
  const { size, data } = encode(p.text, { ecc: 'L', border: 2 })
  const cells: { x: number; y: number }[] = []
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) cells.push({ x, y })
    })
  })
  return (
    <svg
      class="qr"
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={p.label}
      data-testid={p.testId}
    >
      <rect width={size} height={size} fill="#fff" />
      {cells.map((c) => (
        <rect key={`${c.x}-${c.y}`} x={c.x} y={c.y} width={1} height={1} fill="#000" />
      ))}
    </svg>
  )
}
