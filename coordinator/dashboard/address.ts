/** `--dashboard` values: `HOST:PORT`, `[IPV6]:PORT`, or a bare `PORT` (on 127.0.0.1). Port 0: any free port. */
export interface DashboardAddress { readonly host: string, readonly port: number }

/** The address `text` names, or null when it names none. */
export function parseDashboardAddress (text: string): DashboardAddress | null {
  let host = '127.0.0.1'
  let portText = text
  const bracketed = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text)
  if (bracketed !== null) {
    host = bracketed[1]
    portText = bracketed[2]
  } else if (text.includes(':')) {
    const colon = text.lastIndexOf(':')
    host = text.slice(0, colon)
    portText = text.slice(colon + 1)
    if (host === '' || host.includes(':') || !/^[A-Za-z0-9.-]+$/.test(host)) return null
  }
  if (!/^\d{1,5}$/.test(portText)) return null
  const port = Number(portText)
  return port <= 65_535 ? { host, port } : null
}
