/**
 * The host config of Teams' light theme, as Microsoft's local Teams client (the Agents Playground, in
 * @microsoft/m365agentsplayground) renders cards with it: its fonts, spacing and, above all, its colours.
 * Taken as it is, not adjusted: Teams' good (#92c353) and warning (#f8d22a) text colours are too pale to
 * read on white, so a card must never rely on them, and the accessibility checks must see them as Teams
 * shows them.
 */

const TEXT_COLOURS = {
  default: { default: '#ff252424', subtle: '#bf252424' },
  dark: { default: '#252424', subtle: '#bf252424' },
  light: { default: '#ffffff', subtle: '#fff3f2f1' },
  accent: { default: '#6264a7', subtle: '#8b8cc7' },
  good: { default: '#92c353', subtle: '#e592c353' },
  warning: { default: '#f8d22a', subtle: '#e5f8d22a' },
  attention: { default: '#c4314b', subtle: '#e5c4314b' },
};

/** Segoe UI where it is installed (Windows, macOS with Office), then the fallbacks Teams names. */
export const TEAMS_FONT = "'Segoe UI', Tahoma, Geneva, Verdana, sans-serif";

const fontType = (fontFamily: string) => ({
  fontFamily,
  fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
  fontWeights: { lighter: 200, default: 400, bolder: 600 },
});

export const TEAMS_LIGHT = {
  choiceSetInputValueSeparator: ',',
  supportsInteractivity: true,
  spacing: { small: 8, default: 12, medium: 16, large: 20, extraLarge: 24, padding: 16 },
  separator: { lineThickness: 1, lineColor: '#EEEEEE' },
  imageSizes: { small: 32, medium: 52, large: 100 },
  fontTypes: {
    default: fontType(TEAMS_FONT),
    monospace: fontType("'Courier New', Courier, monospace"),
  },
  textStyles: {
    heading: { fontType: 'default', size: 'large', weight: 'bolder', color: 'default', isSubtle: false },
  },
  textBlock: { headingLevel: 2 },
  containerStyles: {
    default: { foregroundColors: TEXT_COLOURS, borderColor: '#CCCCCC', backgroundColor: '#ffffff' },
    emphasis: { foregroundColors: TEXT_COLOURS, borderColor: '#666666', backgroundColor: '#fff9f8f7' },
    accent: { foregroundColors: TEXT_COLOURS, borderColor: '#62A8F7', backgroundColor: '#C7DEF9' },
    good: { foregroundColors: TEXT_COLOURS, borderColor: '#69E569', backgroundColor: '#CCFFCC' },
    attention: { foregroundColors: TEXT_COLOURS, borderColor: '#FF764C', backgroundColor: '#FFC5B2' },
    warning: { foregroundColors: TEXT_COLOURS, borderColor: '#FFBC51', backgroundColor: '#FFE2B2' },
  },
  actions: {
    maxActions: 6,
    buttonSpacing: 8,
    showCard: { actionMode: 'Inline', inlineTopMargin: 16, style: 'emphasis' },
    preExpandSingleShowCardAction: false,
    actionsOrientation: 'Horizontal',
    actionAlignment: 'Left',
    allowButtonsToWrap: true,
  },
  adaptiveCard: { allowCustomStyle: false },
  imageSet: { imageSize: 'Medium', maxImageHeight: 100 },
  factSet: {
    title: { size: 'Default', color: 'Default', isSubtle: false, weight: 'Bolder', wrap: true },
    value: { size: 'Default', color: 'Default', isSubtle: false, weight: 'Default', wrap: true },
    spacing: 16,
  },
};
