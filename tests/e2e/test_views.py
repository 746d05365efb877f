from .pages import open_lab_notebook, run_all_cells_lab, open_voila
import json, time

def test_explore_robot(page, voila_server, example_notebooks, screenshot):
    server = voila_server(example_notebooks["one_axis_robot"])
    open_voila(page, server.url)
    info = page.evaluate("""() => {
      const f = document.querySelectorAll('.jgw-grad-descent')[0].querySelector('.jgw-map');
      const dot = Array.from(f.querySelectorAll('path.dot'))[0];
      const chain = []; let e = dot; while (e && e.tagName !== 'svg') { chain.push([e.tagName, e.getAttribute('class'), e.getAttribute('transform')]); e = e.parentNode; }
      const pe = f.querySelector('.plotarea_events');
      return {
        chain,
        axes: Array.from(f.querySelectorAll('g.axis')).map(a => [a.getAttribute('class'), a.getAttribute('transform'), Array.from(a.querySelectorAll('g.tick')).map(t => [t.getAttribute('transform'), t.textContent])]),
        pe: [pe.tagName, pe.getAttribute('width'), pe.getAttribute('height'), pe.parentNode.getAttribute('transform'), pe.parentNode.getAttribute('class')],
        rects: Array.from(f.querySelectorAll('rect')).map(r => [r.getAttribute('class'), r.getAttribute('width'), r.getAttribute('height')]).slice(0,10),
      };
    }""")
    print(json.dumps(info, indent=1))
    bar = page.locator(".jgw-grad-descent [data-testid='jgw-transport']").first
    print(bar.evaluate("e => e.outerHTML.slice(0, 600)"))
